/**
 * The API server enforces every rule of the Skiff schemas (OpenAPI + CEL): each invalid
 * manifest is rejected with the field named, and zod rejects the same manifest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostConfigSchema, workloadSchema } from '../../src/api/index.js';
import { type Cluster, connect, createNamespace, installCrds, resourcePath } from './cluster.js';
import { hostConfigBase, INVALID, workloadBase } from './invalid.js';

let cluster: Cluster;
let ns: string;

beforeAll(async () => {
  cluster = await connect();
  await installCrds(cluster);
  ns = await createNamespace(cluster, 'invalid');
});
afterAll(async () => cluster?.release());

describe('the API server rejects invalid manifests', () => {
  it.each(INVALID.map((c, i) => [c.rule, c, i] as const))('%s', async (_rule, c, i) => {
    const manifest = c.kind === 'Workload' ? workloadBase() : hostConfigBase();
    manifest.metadata = { name: `bad-${i}`, namespace: ns };
    c.mutate(manifest.spec);

    const plural = c.kind === 'Workload' ? 'workloads' : 'hostconfigs';
    const res = await cluster.http.send('POST', `${resourcePath(plural, ns)}?fieldValidation=Strict`, manifest);
    // 422 Invalid for schema and CEL rules, 400 BadRequest for unknown fields (strict decoding).
    expect([400, 422], res.text).toContain(res.status);
    expect(res.body.message).toContain(c.field);

    const zod = (c.kind === 'Workload' ? workloadSchema : hostConfigSchema).safeParse(manifest);
    expect(zod.success, 'zod must reject what the API server rejects').toBe(false);
  });

  it('accepts the unmutated bases, so each rejection above comes from its one mutation', async () => {
    for (const [plural, manifest] of [
      ['workloads', workloadBase()],
      ['hostconfigs', hostConfigBase()],
    ] as const) {
      manifest.metadata = { name: 'base', namespace: ns };
      const res = await cluster.http.send('POST', `${resourcePath(plural, ns)}?fieldValidation=Strict`, manifest);
      expect(res.status, res.text).toBe(201);
    }
  });

  it('accepts several named instances of one package', async () => {
    const manifest = workloadBase();
    manifest.metadata = { name: 'named', namespace: ns };
    const kv = { namespace: 'wasi', package: 'keyvalue', interfaces: ['store'] };
    manifest.spec.hostInterfaces.push(
      { ...kv, name: 'cache', config: { backend: 'memory' } },
      { ...kv, name: 'orders', config: { backend: 'nats' } },
      kv,
    );
    const res = await cluster.http.send('POST', `${resourcePath('workloads', ns)}?fieldValidation=Strict`, manifest);
    expect(res.status, res.text).toBe(201);
    expect(workloadSchema.safeParse(manifest).success).toBe(true);
  });

  it('accepts keyvalue on redis with spec.redis and filesystem backends with spec.dataDir', async () => {
    const manifest = hostConfigBase();
    manifest.metadata = { name: 'backends', namespace: ns };
    manifest.spec.plugins = { keyvalue: { backend: 'redis' }, blobstore: { backend: 'filesystem' }, http: {} };
    manifest.spec.redis = { url: 'redis://redis:6379' };
    manifest.spec.dataDir = { sizeLimit: '1Gi' };
    const res = await cluster.http.send('POST', `${resourcePath('hostconfigs', ns)}?fieldValidation=Strict`, manifest);
    expect(res.status, res.text).toBe(201);
    expect(res.body.spec.plugins).toEqual({
      keyvalue: { enabled: true, backend: 'redis' },
      blobstore: { enabled: true, backend: 'filesystem' },
      http: { enabled: true },
    });
    expect(hostConfigSchema.safeParse(manifest).success).toBe(true);
  });

  it('rejects an invalid Workload status written through the status subresource', async () => {
    const w = workloadBase();
    w.metadata = { name: 'with-status', namespace: ns };
    const created = await cluster.http.send('POST', resourcePath('workloads', ns), w);
    expect(created.status, created.text).toBe(201);
    const res = await cluster.http.send(
      'PATCH',
      `${resourcePath('workloads', ns, 'with-status')}/status`,
      { status: { replicas: -1, placements: [{ host: 'h1', state: 'Sleeping' }] } },
      'application/merge-patch+json',
    );
    expect(res.status, res.text).toBe(422);
    expect(res.body.message).toContain('status.replicas');
    expect(res.body.message).toContain('status.placements[0].state');
  });

  it('rejects an invalid Host status', async () => {
    const created = await cluster.http.send('POST', resourcePath('hosts', ns), {
      apiVersion: 'runtime.skiff.dev/v1alpha1',
      kind: 'Host',
      metadata: { name: 'host-a' },
    });
    expect(created.status, created.text).toBe(201);
    const res = await cluster.http.send(
      'PATCH',
      `${resourcePath('hosts', ns, 'host-a')}/status`,
      { status: { hostId: 'a', workloadCount: -1, capacity: { workloads: 4, memory: 'plenty' } } },
      'application/merge-patch+json',
    );
    expect(res.status, res.text).toBe(422);
    expect(res.body.message).toContain('status.workloadCount');
    expect(res.body.message).toContain('status.capacity.memory');
  });
});
