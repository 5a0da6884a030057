/**
 * Pull and push against a real, anonymous docker-registry: by tag and by digest, the
 * pull policies, the cache, and each failure named with its reference.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as pushCli } from '../../src/cli/push.js';
import { DigestMismatchError } from '../../src/runtime/errors.js';
import { RegistryClient } from '../../src/runtime/oci/client.js';
import {
  OciMediaTypeError,
  OciNotFoundError,
  OciNotPresentError,
  OciReferenceError,
  OciUnreachableError,
  parseReference,
  pull,
  pushComponent,
} from '../../src/runtime/oci/index.js';
import { sha256Digest } from '../../src/runtime/engine/source.js';
import { fixturePath } from '../support/fixtures.js';
import { freePort } from '../support/ports.js';
import { startRegistry, type TestRegistry } from './registry.js';

let registry: TestRegistry;
let helloC: Uint8Array;
let helloJs: Uint8Array;
let helloCPath: string;

const newCache = () => mkdtempSync(join(tmpdir(), 'skiff-oci-cache-'));
const push = (image: string, bytes: Uint8Array) => pushComponent(parseReference(image), bytes, { label: image });
const pullImage = (image: string, cacheDir: string, policy?: 'Always' | 'IfNotPresent' | 'Never') =>
  pull(parseReference(image), { cacheDir, label: image, policy });

/** filesUnder lists every file below a directory (empty if it does not exist). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

async function captureStdout(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const original = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await fn(), out };
  } finally {
    process.stdout.write = original;
  }
}

beforeAll(async () => {
  registry = await startRegistry();
  helloCPath = await fixturePath('hello-c');
  helloC = new Uint8Array(readFileSync(helloCPath));
  helloJs = new Uint8Array(readFileSync(await fixturePath('hello-js')));
});
afterAll(async () => {
  await registry?.stop();
});

describe('skiff push', () => {
  it('publishes the wasm layout with annotations and prints the manifest digest', async () => {
    const image = `${registry.host}/team/hello-c:1.0.0`;
    const { code, out } = await captureStdout(() => pushCli([helloCPath, image, '--source', 'https://example.com/hello']));
    expect(code).toBe(0);
    const digest = out.trim();
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);

    const res = await fetch(`http://${registry.host}/v2/team/hello-c/manifests/1.0.0`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(res.headers.get('docker-content-digest')).toBe(digest);
    const manifest = (await res.json()) as {
      config: { mediaType: string };
      layers: unknown[];
      annotations: Record<string, string>;
    };
    expect(manifest.config.mediaType).toBe('application/vnd.wasm.config.v0+json');
    expect(manifest.layers).toEqual([{ mediaType: 'application/wasm', digest: sha256Digest(helloC), size: helloC.length }]);
    expect(manifest.annotations['org.opencontainers.image.source']).toBe('https://example.com/hello');
    expect(Date.parse(manifest.annotations['org.opencontainers.image.created'] ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });

  it('refuses a file that is not WebAssembly and a reference without a registry', async () => {
    const notWasm = join(newCache(), 'x.wasm');
    writeFileSync(notWasm, 'hello');
    expect((await captureStdout(() => pushCli([notWasm, `${registry.host}/x:1`]))).code).toBe(1);
    expect((await captureStdout(() => pushCli([helloCPath, 'hello:1']))).code).toBe(1);
    expect((await captureStdout(() => pushCli([helloCPath]))).code).toBe(2);
  });
});

describe('pull', () => {
  it('pulls by tag, then serves the same tag from the cache (IfNotPresent)', async () => {
    const image = `${registry.host}/team/tagged:1.2.0`;
    const pushed = await push(image, helloC);
    const cacheDir = newCache();
    const first = await pullImage(image, cacheDir);
    expect(first.bytes).toEqual(helloC);
    expect(first.layerDigest).toBe(sha256Digest(helloC));
    expect(first.manifestDigest).toBe(pushed.manifestDigest);
    expect(first.fromCache).toBe(false);

    const again = await pullImage(image, cacheDir);
    expect(again.fromCache).toBe(true);
    expect(again.bytes).toEqual(helloC);
  });

  it('pulls by digest', async () => {
    const pushed = await push(`${registry.host}/team/pinned:2.0.0`, helloJs);
    const image = `${registry.host}/team/pinned@${pushed.manifestDigest}`;
    const result = await pullImage(image, newCache());
    expect(result.bytes).toEqual(helloJs);
    expect(result.manifestDigest).toBe(pushed.manifestDigest);
  });

  it('re-resolves :latest every time (Always) but keeps a tag with IfNotPresent', async () => {
    const image = `${registry.host}/team/moving:latest`;
    const cacheDir = newCache();
    await push(image, helloC);
    expect((await pullImage(image, cacheDir)).bytes).toEqual(helloC);
    await push(image, helloJs);
    expect((await pullImage(image, cacheDir, 'IfNotPresent')).bytes).toEqual(helloC);
    const latest = await pullImage(image, cacheDir);
    expect(latest.bytes).toEqual(helloJs);
    expect(latest.fromCache).toBe(false);
    expect((await pullImage(image, cacheDir, 'IfNotPresent')).bytes).toEqual(helloJs);
  });

  it('Never uses only the cache', async () => {
    const image = `${registry.host}/team/offline:1.0.0`;
    await push(image, helloC);
    const cacheDir = newCache();
    await expect(pullImage(image, cacheDir, 'Never')).rejects.toThrow(OciNotPresentError);
    await pullImage(image, cacheDir);
    const cached = await pullImage(image, cacheDir, 'Never');
    expect(cached.bytes).toEqual(helloC);
    expect(cached.fromCache).toBe(true);
  });
});

describe('blob redirects', () => {
  it('follows a redirect from the registry to another origin for the layer', async () => {
    // A loopback front that proxies manifests and redirects blob GETs to the registry itself,
    // the way registries on object storage redirect to a CDN or bucket.
    const redirected: string[] = [];
    const front = createServer(async (req, res) => {
      const target = `http://${registry.host}${req.url}`;
      if (req.url?.includes('/blobs/')) {
        redirected.push(req.url);
        res.writeHead(307, { location: target }).end();
        return;
      }
      const upstream = await fetch(target, { method: req.method, headers: { accept: String(req.headers.accept ?? '') } });
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'docker-content-digest', 'content-length']) {
        const value = upstream.headers.get(name);
        if (value) headers[name] = value;
      }
      res.writeHead(upstream.status, headers).end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    try {
      await push(`${registry.host}/team/redirected:1.0.0`, helloC);
      const image = `127.0.0.1:${(front.address() as { port: number }).port}/team/redirected:1.0.0`;
      const result = await pullImage(image, newCache());
      expect(result.bytes).toEqual(helloC);
      expect(redirected).toEqual([`/v2/team/redirected/blobs/${sha256Digest(helloC)}`]);
    } finally {
      await new Promise((resolve) => front.close(resolve));
    }
  });
});

describe('pull failures name the reference and what failed', () => {
  it('unknown tag and unknown repository', async () => {
    await push(`${registry.host}/team/known:1.0.0`, helloC);
    const tag = `${registry.host}/team/known:9.9.9`;
    const err = await pullImage(tag, newCache()).catch((e) => e);
    expect(err).toBeInstanceOf(OciNotFoundError);
    expect(err.message).toContain(tag);
    expect(err.message).toContain('tag 9.9.9 unknown');
    const repo = `${registry.host}/team/nothing-here:1.0.0`;
    await expect(pullImage(repo, newCache())).rejects.toThrow(`image ${repo}: `);
  });

  it('wrong media type: a container image is refused naming what was found', async () => {
    const image = `${registry.host}/team/container:1.0.0`;
    const ref = parseReference(image);
    const client = new RegistryClient({ reference: ref, label: image, push: true });
    const layer = new TextEncoder().encode('not a tarball');
    const config = new TextEncoder().encode('{}');
    await client.uploadBlob(sha256Digest(layer), layer);
    await client.uploadBlob(sha256Digest(config), config);
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Digest(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256Digest(layer), size: layer.length }],
    };
    await client.putManifest('1.0.0', manifest.mediaType, new TextEncoder().encode(JSON.stringify(manifest)));
    const err = await pullImage(image, newCache()).catch((e) => e);
    expect(err).toBeInstanceOf(OciMediaTypeError);
    expect(err.message).toContain(image);
    expect(err.message).toContain('application/vnd.oci.image.layer.v1.tar+gzip');
  });

  it('digest mismatch: a corrupted blob is refused and leaves nothing in the cache', async () => {
    const image = `${registry.host}/team/corrupt:1.0.0`;
    const pushed = await push(image, helloC);
    const hex = pushed.layerDigest.slice('sha256:'.length);
    const data = join(registry.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const corrupted = Buffer.from(readFileSync(data));
    corrupted.writeUInt8(corrupted.readUInt8(corrupted.length - 1) ^ 0xff, corrupted.length - 1);
    writeFileSync(data, corrupted);

    const cacheDir = newCache();
    const err = await pullImage(image, cacheDir).catch((e) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(err.message).toContain(image);
    expect(err.message).toContain(pushed.layerDigest);
    const files = filesUnder(join(cacheDir, 'oci', 'blobs'));
    expect(files.some((f) => f.includes(hex))).toBe(false);
    expect(files.some((f) => f.includes('.tmp-'))).toBe(false);
  });

  it('registry unreachable', async () => {
    const image = `127.0.0.1:${await freePort()}/team/hello:1.0.0`;
    const err = await pullImage(image, newCache()).catch((e) => e);
    expect(err).toBeInstanceOf(OciUnreachableError);
    expect(err.message).toContain(image);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('a bare name without a registry host', async () => {
    expect(() => parseReference('hello:1.0')).toThrow(OciReferenceError);
    expect(() => parseReference('hello:1.0')).toThrow(/registry host is required/);
  });
});
