import { describe, expect, it } from 'vitest';
import { credentialsFor, parseChallenge, parseDockerConfig } from './auth.js';
import { OciMediaTypeError, OciReferenceError } from './errors.js';
import { MEDIA, parseManifest } from './layout.js';
import { defaultPullPolicy } from './pull.js';
import { apiHost, isLoopback, looksLikeOciReference, parseReference } from './reference.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    ['ghcr.io/team/hello:1.2.0', { registry: 'ghcr.io', repository: 'team/hello', tag: '1.2.0', digest: undefined }],
    ['ghcr.io/team/hello', { registry: 'ghcr.io', repository: 'team/hello', tag: 'latest', digest: undefined }],
    [`ghcr.io/team/hello@${D}`, { registry: 'ghcr.io', repository: 'team/hello', tag: undefined, digest: D }],
    [`127.0.0.1:5000/a/b/c:v1@${D}`, { registry: '127.0.0.1:5000', repository: 'a/b/c', tag: 'v1', digest: D }],
    ['localhost/hello:dev', { registry: 'localhost', repository: 'hello', tag: 'dev', digest: undefined }],
    ['docker.io/hello:1', { registry: 'docker.io', repository: 'library/hello', tag: '1', digest: undefined }],
    ['oci://ghcr.io/x/y:2', { registry: 'ghcr.io', repository: 'x/y', tag: '2', digest: undefined }],
  ])('%s', (image, expected) => {
    expect(parseReference(image)).toEqual(expected);
  });

  it.each([
    ['hello:1.0', /registry host is required/],
    ['team/hello:1.0', /registry host is required/],
    ['ghcr.io/Team/hello', /invalid repository/],
    ['ghcr.io/team/hello:-bad', /invalid tag/],
    ['ghcr.io/team/hello@sha256:abc', /digest must be sha256/],
  ])('refuses %s', (image, message) => {
    expect(() => parseReference(image)).toThrow(OciReferenceError);
    expect(() => parseReference(image)).toThrow(message);
  });

  it('tells OCI references from paths and URLs', () => {
    expect(looksLikeOciReference('ghcr.io/a/b:1')).toBe(true);
    expect(looksLikeOciReference('./x.wasm')).toBe(false);
    expect(looksLikeOciReference('file:///x.wasm')).toBe(false);
    expect(looksLikeOciReference('https://x/y.wasm')).toBe(false);
  });

  it('knows loopback hosts and the Docker Hub API host', () => {
    expect(isLoopback('127.0.0.1:5000')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('[::1]:5000')).toBe(true);
    expect(isLoopback('registry.local:5000')).toBe(false);
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
  });
});

describe('defaultPullPolicy', () => {
  it('is Always for latest, IfNotPresent for other tags and digests', () => {
    expect(defaultPullPolicy(parseReference('ghcr.io/a/b'))).toBe('Always');
    expect(defaultPullPolicy(parseReference('ghcr.io/a/b:latest'))).toBe('Always');
    expect(defaultPullPolicy(parseReference('ghcr.io/a/b:1.0'))).toBe('IfNotPresent');
    expect(defaultPullPolicy(parseReference(`ghcr.io/a/b:latest@${D}`))).toBe('IfNotPresent');
  });
});

describe('docker config', () => {
  it('reads auth and username/password entries, keyed by host', () => {
    const config = parseDockerConfig(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw:with:colons').toString('base64') },
          'ghcr.io': { username: 'me', password: 'tok' },
        },
      }),
      'test',
    );
    expect(credentialsFor(config, 'docker.io')).toEqual({ username: 'hub', password: 'pw:with:colons' });
    expect(credentialsFor(config, 'ghcr.io')).toEqual({ username: 'me', password: 'tok' });
    expect(credentialsFor(config, 'quay.io')).toBeUndefined();
  });

  it('refuses malformed JSON naming its origin', () => {
    expect(() => parseDockerConfig('{', 'secret regcred')).toThrow(/secret regcred/);
  });
});

describe('parseChallenge', () => {
  it('parses Bearer and Basic challenges', () => {
    expect(
      parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"'),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull' },
    });
    expect(parseChallenge('Basic realm="x"')).toEqual({ scheme: 'basic', params: { realm: 'x' } });
    expect(parseChallenge('Negotiate')).toBeUndefined();
  });
});

describe('parseManifest', () => {
  const manifest = (config: string, layers: string[]) =>
    new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        config: { mediaType: config, digest: D, size: 2 },
        layers: layers.map((mediaType) => ({ mediaType, digest: D, size: 10 })),
      }),
    );

  it('accepts the wasm layout and the older single-layer variants', () => {
    for (const [config, layer] of [
      [MEDIA.wasmConfig, MEDIA.wasmLayer],
      ['application/vnd.wasm.config.v1+json', 'application/vnd.wasm.content.layer.v1+wasm'],
      ['application/vnd.module.wasm.config.v1+json', 'application/vnd.module.wasm.content.layer.v1+wasm'],
    ] as const) {
      expect(parseManifest(manifest(config, [layer]), '', 'x')).toEqual({
        kind: 'manifest',
        layer: { mediaType: layer, digest: D, size: 10 },
      });
    }
  });

  it('refuses other layouts naming what it found', () => {
    expect(() => parseManifest(manifest(MEDIA.wasmConfig, [MEDIA.wasmLayer, MEDIA.wasmLayer]), '', 'img')).toThrow(
      OciMediaTypeError,
    );
    expect(() =>
      parseManifest(manifest('application/vnd.docker.container.image.v1+json', ['application/vnd.docker.image.rootfs.diff.tar.gzip']), '', 'img'),
    ).toThrow(/img: not a wasm component artifact: found config application\/vnd.docker.container.image.v1\+json/);
  });

  it('picks the wasm entry of an index', () => {
    const index = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.ociIndex,
        manifests: [
          { mediaType: MEDIA.ociManifest, digest: `sha256:${'b'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
          { mediaType: MEDIA.ociManifest, digest: D, size: 1, platform: { os: 'wasip2', architecture: 'wasm' } },
        ],
      }),
    );
    const parsed = parseManifest(index, MEDIA.ociIndex, 'x');
    expect(parsed.kind === 'index' && parsed.child.digest).toBe(D);
  });
});

describe('PullCache paths', () => {
  it('refuses any digest that is not sha256:<64 hex>, so a registry cannot name a path', async () => {
    const { PullCache } = await import('./cache.js');
    const cache = new PullCache('/tmp/skiff-never-used');
    expect(() => cache.blobPath('sha256:../../../../victim.txt')).toThrow(/not a sha256 digest/);
    expect(() => cache.blobPath(`sha256:${'A'.repeat(64)}`)).toThrow(/not a sha256 digest/);
    expect(cache.blobPath(`sha256:${'a'.repeat(64)}`)).toMatch(/blobs\/sha256\/a{64}$/);
  });
});
