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

describe('host pods keep secrets off disk', () => {
  it('mount a memory-backed, size-bounded volume for secret volumes and tell the host', () => {
    const pod = podTemplate(hc(), { image: 'skiff:test', natsUrl: 'nats://nats:4222' }, new Set());
    const spec = pod.spec as {
      volumes: { name: string; emptyDir?: { medium?: string; sizeLimit?: string } }[];
      containers: { env: { name: string; value?: string }[]; volumeMounts: { name: string; mountPath: string }[] }[];
    };
    expect(spec.volumes.find((v) => v.name === 'secrets')?.emptyDir).toEqual({ medium: 'Memory', sizeLimit: '64Mi' });
    const c = spec.containers[0]!;
    const dir = c.env.find((e) => e.name === 'SKIFF_SECRETDIR')?.value;
    expect(c.volumeMounts.find((m) => m.name === 'secrets')?.mountPath).toBe(dir);
  });
});

describe('host pods offer the redis keyvalue backend', () => {
  const container = (h: HostConfig) =>
    (
      podTemplate(h, { image: 'skiff:test', natsUrl: 'nats://nats:4222' }, new Set()).spec as {
        containers: { args: string[]; env: { name: string; valueFrom?: unknown }[] }[];
      }
    ).containers[0]!;

  it('when the HostConfig names a Redis server, by URL or by a Secret holding the URL', () => {
    expect(flag(args(hc()), '--redis')).toBeUndefined();
    expect(flag(args(hc({ redis: { url: 'redis://redis.shop:6379' } })), '--redis')).toBe('redis://redis.shop:6379');
    const fromSecret = container(hc({ redis: { urlSecret: { name: 'redis', key: 'url' } } }));
    expect(fromSecret.args).not.toContain('--redis');
    expect(fromSecret.env.find((e) => e.name === 'SKIFF_REDIS_URL')).toEqual({
      name: 'SKIFF_REDIS_URL',
      valueFrom: { secretKeyRef: { name: 'redis', key: 'url' } },
    });
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

describe('host pods honour spec.plugins', () => {
  it('pass nothing when plugins are unset, or enabled on NATS', () => {
    const none = args(hc());
    expect(none.filter((a) => a === '--disable-plugin' || a.endsWith('-backend'))).toEqual([]);
    const onNats = args(hc({ plugins: { keyvalue: { enabled: true, backend: 'nats' }, http: { enabled: true } } }));
    expect(onNats).toEqual(none);
  });

  it('switch disabled capabilities off and pick the backends asked for', () => {
    const a = args(
      hc({
        plugins: {
          keyvalue: { enabled: true, backend: 'memory' },
          blobstore: { enabled: false, backend: 'memory' },
          config: { enabled: true, backend: 'memory' },
          logging: { enabled: true, backend: 'memory' },
          messaging: { enabled: false, backend: 'nats' },
          http: { enabled: false },
        },
      }),
    );
    const pairs = a.flatMap((x, i) => (x === '--disable-plugin' || x.endsWith('-backend') ? [`${x} ${a[i + 1]}`] : []));
    expect(pairs).toEqual([
      '--keyvalue-backend memory',
      '--disable-plugin blobstore',
      '--config-backend memory',
      '--logging-backend memory',
      '--disable-plugin messaging',
      '--disable-plugin http',
    ]);
  });

  it('neither pass nor declare an HTTP port when http is disabled', () => {
    const ports = (h: HostConfig) =>
      (
        podTemplate(h, { image: 'skiff:test', natsUrl: 'nats://nats:4222' }, new Set()).spec as {
          containers: { ports: { name: string }[] }[];
        }
      ).containers[0]!.ports.map((p) => p.name);
    expect(flag(args(hc()), '--port')).toBe('8080');
    expect(ports(hc())).toEqual(['http', 'metrics']);
    const off = hc({ plugins: { http: { enabled: false } } });
    expect(args(off)).not.toContain('--port');
    expect(ports(off)).toEqual(['metrics']);
  });

  it('give the filesystem backends an emptyDir data directory when spec.dataDir is set', () => {
    const pod = (h: HostConfig) =>
      podTemplate(h, { image: 'skiff:test', natsUrl: 'nats://nats:4222' }, new Set()).spec as {
        volumes: { name: string; emptyDir?: { sizeLimit?: string } }[];
        containers: { args: string[]; volumeMounts: { name: string; mountPath: string }[] }[];
      };
    const without = pod(hc());
    expect(without.volumes.find((v) => v.name === 'data')).toBeUndefined();
    expect(without.containers[0]!.args).not.toContain('--data-dir');
    const withDir = pod(
      hc({ dataDir: { sizeLimit: '2Gi' }, plugins: { blobstore: { enabled: true, backend: 'filesystem' } } }),
    );
    const c = withDir.containers[0]!;
    expect(withDir.volumes.find((v) => v.name === 'data')).toEqual({ name: 'data', emptyDir: { sizeLimit: '2Gi' } });
    expect(flag(c.args, '--data-dir')).toBe(c.volumeMounts.find((m) => m.name === 'data')?.mountPath);
    expect(flag(c.args, '--blobstore-backend')).toBe('filesystem');
    expect(pod(hc({ dataDir: {} })).volumes.find((v) => v.name === 'data')).toEqual({ name: 'data', emptyDir: {} });
  });
});
