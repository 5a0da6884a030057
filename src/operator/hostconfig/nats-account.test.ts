import { describe, expect, it } from 'vitest';
import type { HostConfig } from '../../api/index.js';
import {
  accountModeConflicts,
  accountSecret,
  inAccountMode,
  markAccountMode,
  NATS_ACCOUNT_DIR,
  podName,
} from './nats-account.js';
import { hostPod, podTemplate, templateHash } from './pod.js';

const hc: HostConfig = {
  apiVersion: 'runtime.skiff.dev/v1alpha1',
  kind: 'HostConfig',
  metadata: { name: 'hosts', namespace: 'shop', uid: 'hc-uid' },
  spec: { replicas: 1, nats: { url: 'nats://nats:4222', credentialsSecret: 'nats-auth' } } as HostConfig['spec'],
};

interface Container {
  args: string[];
  env: { name: string }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

function pod() {
  const keys = new Set(['user', 'password', 'creds', 'ca.crt']);
  const template = podTemplate(hc, { image: 'skiff:test', natsUrl: 'nats://x:4222' }, keys);
  return hostPod(hc, template, templateHash(template));
}

describe('host pods in NATS account mode', () => {
  it('get a name of their own, like generateName would give', () => {
    const name = podName(pod(), (n) => new Uint8Array(n));
    expect(name).toMatch(/^hosts-[0-9a-f]{5}-bbbbb$/);
    expect(podName(pod())).toMatch(/^hosts-[0-9a-f]{5}-[a-z0-9]{5}$/);
  });

  it('use their own control credentials and --nats-accounts instead of the HostConfig credentials', () => {
    const p = inAccountMode(pod(), 'hosts-abcde-fghij');
    expect(p.metadata.name).toBe('hosts-abcde-fghij');
    expect((p.metadata as { generateName?: string }).generateName).toBeUndefined();
    const c = (p.spec as { containers: Container[] }).containers[0]!;
    expect(c.args.filter((a) => a === '--nats-creds')).toHaveLength(1);
    expect(c.args.slice(-3)).toEqual(['--nats-creds', `${NATS_ACCOUNT_DIR}/host.creds`, '--nats-accounts']);
    expect(c.args).toContain('--nats-tls-ca');
    expect(c.env.map((e) => e.name)).not.toContain('SKIFF_NATS_USER');
    expect(c.env.map((e) => e.name)).not.toContain('SKIFF_NATS_PASSWORD');
    expect(c.volumeMounts).toContainEqual({ name: 'nats-account', mountPath: NATS_ACCOUNT_DIR, readOnly: true });
    const volumes = (p.spec as { volumes: { name: string; secret?: { secretName: string } }[] }).volumes;
    expect(volumes.find((v) => v.name === 'nats-account')?.secret?.secretName).toBe('hosts-abcde-fghij-nats');
  });

  it('have a template hash of their own, so switching account mode replaces the pods', () => {
    const template = podTemplate(hc, { image: 'skiff:test', natsUrl: 'nats://x:4222' }, new Set());
    const marked = markAccountMode(template);
    expect(templateHash(marked)).not.toBe(templateHash(template));
    expect(marked.metadata.annotations?.['runtime.skiff.dev/nats-accounts']).toBe('true');
    expect(templateHash(markAccountMode(template))).toBe(templateHash(marked));
  });

  it('keep the credentials in a Secret owned by the HostConfig', () => {
    const s = accountSecret(hc, 'hosts-abcde-fghij', 'CREDS') as unknown as {
      metadata: { name: string; ownerReferences: { uid: string }[] };
      stringData: Record<string, string>;
    };
    expect(s.metadata.name).toBe('hosts-abcde-fghij-nats');
    expect(s.metadata.ownerReferences[0]?.uid).toBe('hc-uid');
    expect(s.stringData).toEqual({ 'host.creds': 'CREDS' });
  });
});

describe('HostConfigs in NATS account mode', () => {
  it('may switch capabilities off or keep NATS, but not pick other backends, Redis or a data directory', () => {
    const spec = (extra: Partial<HostConfig['spec']>) => ({ replicas: 1, ...extra }) as HostConfig['spec'];
    expect(accountModeConflicts(spec({}))).toEqual([]);
    expect(
      accountModeConflicts(
        spec({
          plugins: { keyvalue: { enabled: true, backend: 'nats' }, messaging: { enabled: false, backend: 'memory' } },
        }),
      ),
    ).toEqual([]);
    expect(
      accountModeConflicts(
        spec({
          plugins: { keyvalue: { enabled: true, backend: 'redis' } },
          redis: { url: 'redis://r:6379' },
          dataDir: {},
        }),
      ),
    ).toEqual(['spec.plugins.keyvalue.backend (redis)', 'spec.redis', 'spec.dataDir']);
  });
});
