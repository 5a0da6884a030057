import { describe, expect, it } from 'vitest';
import type { HostConfig } from '../../api/index.js';
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

describe('host pods trace', () => {
  const env = (h: HostConfig) => {
    const pod = podTemplate(h, { image: 'skiff:test', natsUrl: 'nats://nats:4222' }, new Set());
    return (pod.spec as { containers: { env: { name: string; value?: string }[] }[] }).containers[0]!.env;
  };
  it('get the OTLP endpoint and service name as the standard variables, and nothing when unset', () => {
    const traced = env(hc({ tracing: { endpoint: 'http://otel-collector.observability:4318', serviceName: 'edge' } }));
    expect(traced).toContainEqual({ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.observability:4318' });
    expect(traced).toContainEqual({ name: 'OTEL_SERVICE_NAME', value: 'edge' });
    expect(env(hc()).some((e) => e.name.startsWith('OTEL_'))).toBe(false);
  });
});
