import { describe, expect, it } from 'vitest';
import { type HostConfig, hostConfigSpecSchema } from '../../api/index.js';
import { podTemplate } from './pod.js';

const hc = (spec: Partial<HostConfig['spec']> = {}): HostConfig => ({
  apiVersion: 'runtime.skiff.dev/v1alpha1',
  kind: 'HostConfig',
  metadata: { name: 'hosts', namespace: 'shop' },
  spec: { replicas: 1, ...spec } as HostConfig['spec'],
});

const args = (h: HostConfig): string[] => {
  const pod = podTemplate(h, { image: 'skiff:test', natsUrl: 'nats://nats:4222' }, new Set());
  return (pod.spec as { containers: { args: string[] }[] }).containers[0]!.args;
};

const flag = (a: string[], name: string) => (a.includes(name) ? a[a.indexOf(name) + 1] : undefined);

describe('host pods serve namespaces', () => {
  it('serve their HostConfig namespace only, by default', () => {
    expect(flag(args(hc()), '--namespaces')).toBe('shop');
  });

  it('serve the namespaces the HostConfig lists, and every one for *', () => {
    expect(flag(args(hc({ namespaces: ['shop', 'billing', 'shop'] })), '--namespaces')).toBe('billing,shop');
    expect(args(hc({ namespaces: ['*'] }))).not.toContain('--namespaces');
  });
});

describe('host pods pull from insecure registries', () => {
  it('pass each of the HostConfig insecureRegistries as --insecure-registry, and none by default', () => {
    expect(args(hc())).not.toContain('--insecure-registry');
    const a = args(hc({ insecureRegistries: ['registry.local:5000', '10.0.0.1:5000'] }));
    const values = a.flatMap((v, i) => (v === '--insecure-registry' ? [a[i + 1]] : []));
    expect(values).toEqual(['registry.local:5000', '10.0.0.1:5000']);
  });
});

describe('HostConfig insecureRegistries', () => {
  it('take registries as image references name them, and refuse URLs, paths and upper case', () => {
    const parse = (r: string) => hostConfigSpecSchema.safeParse({ insecureRegistries: [r] }).success;
    for (const good of ['registry.local', 'registry.local:5000', '10.0.0.1:5000', '[fd00::1]:5000']) {
      expect(parse(good), good).toBe(true);
    }
    for (const bad of ['http://registry.local', 'registry.local/x', 'Registry.local', 'registry.local:', '']) {
      expect(parse(bad), bad).toBe(false);
    }
  });
});
