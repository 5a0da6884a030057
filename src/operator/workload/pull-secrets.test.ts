import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/index.js';
import { credentialsIn, registryOf } from './pull-secrets.js';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');
const secret = (type: string, data: Record<string, string>): KubeObject => ({
  metadata: { name: 'regcred', namespace: 'team' },
  type,
  data,
});

describe('pull secrets', () => {
  const config = {
    auths: {
      'https://ghcr.io/v1/': { auth: b64('alice:pw-1') },
      '127.0.0.1:5000': { username: 'bob', password: 'pw-2' },
      'index.docker.io': { username: 'carol', identitytoken: 'tok' },
    },
  };
  const json = secret('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64(config) });

  it('finds the registry a component pulls from', () => {
    expect(registryOf('ghcr.io/team/web:1')).toBe('ghcr.io');
    expect(registryOf('127.0.0.1:5000/web@sha256:' + '0'.repeat(64))).toBe('127.0.0.1:5000');
    expect(registryOf('file:///x.wasm')).toBeUndefined();
    expect(registryOf('https://example.com/x.wasm')).toBeUndefined();
  });

  it('returns the credentials for that registry only', () => {
    expect(credentialsIn(json, 'ghcr.io')).toEqual({ username: 'alice', password: 'pw-1' });
    expect(credentialsIn(json, '127.0.0.1:5000')).toEqual({ username: 'bob', password: 'pw-2' });
    expect(credentialsIn(json, 'docker.io')).toEqual({ username: 'carol', password: 'tok' });
    expect(credentialsIn(json, 'quay.io')).toBeUndefined();
    const legacy = secret('kubernetes.io/dockercfg', { '.dockercfg': b64(config.auths) });
    expect(credentialsIn(legacy, 'ghcr.io')).toEqual({ username: 'alice', password: 'pw-1' });
  });

  it('refuses Secrets that are not docker configs, without quoting them', () => {
    expect(() => credentialsIn(secret('Opaque', { token: b64('s3cret') }), 'ghcr.io')).toThrow(
      expect.objectContaining({ code: 'SKIFF_PULL_SECRET_INVALID', message: expect.stringMatching(/type Opaque/) }),
    );
    const bad = secret('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64('not json s3cret') });
    expect(() => credentialsIn(bad, 'ghcr.io')).toThrow(/is not JSON$/);
    expect(() => credentialsIn(secret('kubernetes.io/dockerconfigjson', {}), 'ghcr.io')).toThrow(
      /has no .dockerconfigjson/,
    );
  });
});
