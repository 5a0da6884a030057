import { describe, expect, it } from 'vitest';
import type { Workload } from '../api/index.js';
import { SecretValues } from './secret-values.js';
import { ConfigSources, withConfigLayers } from './sources.js';

const bytesOf = (entries: Record<string, string | Uint8Array>) =>
  new Map(Object.entries(entries).map(([k, v]) => [k, typeof v === 'string' ? new TextEncoder().encode(v) : v]));

const SECRETS_GRANT = {
  namespace: 'wasmcloud',
  package: 'secrets',
  interfaces: ['store', 'reveal'],
  config: { mode: 'literal', shared: 'literal' },
  configFrom: [{ name: 'plain' }],
  secretFrom: [{ name: 'db' }, { name: 'gone', optional: true }],
};

function workload(hostInterfaces: Workload['spec']['hostInterfaces']): Workload {
  return {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name: 'w', namespace: 'ns' },
    spec: { replicas: 1, volumes: [], hostInterfaces, components: [{ name: 'c', image: 'file:///x' }] },
  };
}

const binary = Uint8Array.from([0xff, 0x00, 0xfe]);
function sources(): ConfigSources {
  return new ConfigSources()
    .add('ConfigMap', 'plain', bytesOf({ shared: 'configmap' }))
    .add('Secret', 'db', bytesOf({ shared: 'from-secret', password: 'hunter2', cert: binary }))
    .add('Secret', 'gone', null);
}
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

describe('SecretValues', () => {
  it('layers config, configFrom, then secretFrom as bytes (a later layer wins), binary values included', () => {
    const values = SecretValues.resolve(workload([SECRETS_GRANT]), sources()).forGrant(SECRETS_GRANT);
    expect([...values.keys()].sort()).toEqual(['cert', 'mode', 'password', 'shared']);
    expect(text(values.get('mode'))).toBe('literal');
    expect(text(values.get('shared'))).toBe('from-secret');
    expect(text(values.get('password'))).toBe('hunter2');
    expect(values.get('cert')).toEqual(binary);
  });

  it('copies the bytes out of the sources, and wipe zeroes its own copies', () => {
    const s = sources();
    const secrets = SecretValues.resolve(workload([SECRETS_GRANT]), s);
    const password = secrets.forGrant(SECRETS_GRANT).get('password')!;
    s.wipe();
    expect(text(password)).toBe('hunter2');
    secrets.wipe();
    expect([...password]).toEqual(new Array(7).fill(0));
    expect(secrets.wiped).toBe(true);
    expect(secrets.forGrant(SECRETS_GRANT).size).toBe(0);
  });

  it('ConfigSources.wipe zeroes what the start brought', () => {
    const s = sources();
    const password = s.get('Secret', 'db', false)!.get('password')!;
    s.wipe();
    expect([...password].every((b) => b === 0)).toBe(true);
    expect(s.size).toBe(0);
  });

  it('fails naming the Secret (never a value) when a required one is missing or was not brought', () => {
    const missing = { ...SECRETS_GRANT, secretFrom: [{ name: 'gone' }] };
    expect(() => SecretValues.resolve(workload([missing]), sources())).toThrow(
      expect.objectContaining({ code: 'SKIFF_CONFIG_NOT_FOUND', message: 'Secret gone does not exist' }),
    );
    const unknown = { ...SECRETS_GRANT, secretFrom: [{ name: 'other' }] };
    expect(() => SecretValues.resolve(workload([unknown]), sources())).toThrow(
      /Secret other was not sent with the start/,
    );
  });

  it('is empty for other grants, and config layering leaves the secrets grant unmerged', () => {
    const config = { namespace: 'wasi', package: 'config', interfaces: ['store'], secretFrom: [{ name: 'db' }] };
    const w = workload([SECRETS_GRANT, config]);
    expect(SecretValues.resolve(w, sources()).forGrant(config).size).toBe(0);
    const layered = withConfigLayers(w, sources());
    expect(layered.spec.hostInterfaces[0]).toEqual(SECRETS_GRANT);
    // Other grants still get their layers merged as text.
    expect(layered.spec.hostInterfaces[1]?.config?.password).toBe('hunter2');
  });
});
