/**
 * The Kube client against the real test API server: get/list/apply/applyStatus,
 * guarded finalizers, preconditioned delete, and each error code from a real answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFIGMAPS,
  createKubeMetrics,
  Kube,
  type KubeObject,
  LEASES,
  WORKLOADS,
} from '../../../src/operator/kube/index.js';
import { type Cluster, connect, createNamespace, installCrds, sample } from '../cluster.js';
import { throwawayCrd } from './crd.js';
import { kubeConfigFor, kubeFor } from './proxy.js';

let cluster: Cluster;
let ns: string;
let kube: Kube;

beforeAll(async () => {
  cluster = await connect();
  await installCrds(cluster);
  ns = await createNamespace(cluster, 'kube-client');
  kube = kubeFor(cluster.info.kubeconfig);
});
afterAll(async () => {
  kube?.close();
  await cluster?.release();
});

function configMap(name: string, data: Record<string, string> = {}): KubeObject {
  return { metadata: { name, namespace: ns }, data };
}

describe('Kube', () => {
  it('gets, lists in pages and returns undefined for a missing object', async () => {
    const metrics = createKubeMetrics();
    const paged = kubeFor(cluster.info.kubeconfig, undefined, { pageSize: 2, metrics });
    for (let i = 0; i < 5; i++) await kube.apply(CONFIGMAPS, configMap(`page-${i}`, { i: String(i) }));
    const { items, resourceVersion } = await paged.list(CONFIGMAPS, ns);
    expect(items.map((o) => o.metadata.name).filter((n) => n.startsWith('page-'))).toEqual([
      'page-0',
      'page-1',
      'page-2',
      'page-3',
      'page-4',
    ]);
    expect(items.every((o) => o.apiVersion === 'v1' && o.kind === 'ConfigMap')).toBe(true);
    expect(Number(resourceVersion)).toBeGreaterThan(0);
    const lists = (await metrics.requests.get()).values.find((v) => v.labels.verb === 'list');
    expect(lists?.value).toBeGreaterThanOrEqual(3);
    expect(await kube.get(CONFIGMAPS, ns, 'page-3')).toMatchObject({ data: { i: '3' } });
    expect(await kube.get(CONFIGMAPS, ns, 'absent')).toBeUndefined();
    paged.close();
  });

  it('server-side-applies a Workload and its status separately', async () => {
    const manifest = sample('workload-hello.yaml');
    manifest.metadata.namespace = ns;
    const created = await kube.apply(WORKLOADS, manifest as KubeObject);
    expect(created.metadata.generation).toBe(1);
    const status = { observedGeneration: 1, replicas: 0, conditions: [] };
    const withStatus = await kube.applyStatus(WORKLOADS, ns, 'hello', status);
    expect(withStatus.status).toMatchObject({ observedGeneration: 1, replicas: 0 });
    const again = await kube.apply(WORKLOADS, manifest as KubeObject);
    expect(again.status).toMatchObject({ observedGeneration: 1 });
    expect(again.metadata.generation).toBe(1);
    const managers = (again.metadata as { managedFields?: { manager: string; subresource?: string }[] }).managedFields;
    expect(managers?.some((m) => m.manager === 'skiff-operator' && m.subresource === 'status')).toBe(true);
  });

  it('sets finalizers only on the version it read: a stale copy is a conflict and keeps the other finalizer', async () => {
    const first = await kube.apply(CONFIGMAPS, configMap('fin'));
    const theirs = await kube.setFinalizers(CONFIGMAPS, first, ['example.com/theirs']);
    await expect(kube.setFinalizers(CONFIGMAPS, first, ['skiff.dev/ours'])).rejects.toMatchObject({
      code: 'SKIFF_KUBE_CONFLICT',
      status: 409,
    });
    expect((await kube.get(CONFIGMAPS, ns, 'fin'))?.metadata.finalizers).toEqual(['example.com/theirs']);
    const both = await kube.setFinalizers(CONFIGMAPS, theirs, ['example.com/theirs', 'skiff.dev/ours']);
    expect(both.metadata.finalizers).toEqual(['example.com/theirs', 'skiff.dev/ours']);
    await kube.setFinalizers(CONFIGMAPS, both, []);
    expect((await kube.get(CONFIGMAPS, ns, 'fin'))?.metadata.finalizers).toBeUndefined();
  });

  it('deletes with a uid precondition, and a missing object is fine', async () => {
    const obj = await kube.apply(CONFIGMAPS, configMap('del'));
    await expect(kube.delete(CONFIGMAPS, ns, 'del', { preconditionUid: 'not-the-uid' })).rejects.toMatchObject({
      code: 'SKIFF_KUBE_CONFLICT',
    });
    // The next request on the same keep-alive connection must still work (a DELETE body once broke it).
    expect(await kube.get(CONFIGMAPS, ns, 'del')).toBeDefined();
    await kube.delete(CONFIGMAPS, ns, 'del', { preconditionUid: obj.metadata.uid });
    expect(await kube.get(CONFIGMAPS, ns, 'del')).toBeUndefined();
    await kube.delete(CONFIGMAPS, ns, 'del');
  });

  it('reports INVALID naming the field, for a rejected value and for an unknown field', async () => {
    const manifest = sample('workload-hello.yaml');
    manifest.metadata = { name: 'bad', namespace: ns };
    manifest.spec.replicas = -1;
    const invalid = await kube.apply(WORKLOADS, manifest as KubeObject).catch((e) => e);
    expect(invalid).toMatchObject({ code: 'SKIFF_KUBE_INVALID', status: 422, reason: 'Invalid' });
    expect(invalid.message).toContain('spec.replicas');
    manifest.spec.replicas = 1;
    manifest.spec.bogusField = true;
    const unknown = await kube.apply(WORKLOADS, manifest as KubeObject).catch((e) => e);
    expect(unknown).toMatchObject({ code: 'SKIFF_KUBE_INVALID' });
    expect(unknown.message).toContain('bogusField');
  });

  it('reports CONFLICT for a stale update and an existing create', async () => {
    const obj = await kube.apply(CONFIGMAPS, configMap('stale', { v: '1' }));
    await kube.replace(CONFIGMAPS, { ...obj, data: { v: '2' } });
    await expect(kube.replace(CONFIGMAPS, { ...obj, data: { v: '3' } })).rejects.toMatchObject({
      code: 'SKIFF_KUBE_CONFLICT',
      reason: 'Conflict',
    });
    await expect(kube.create(CONFIGMAPS, configMap('stale'))).rejects.toMatchObject({
      code: 'SKIFF_KUBE_CONFLICT',
      reason: 'AlreadyExists',
    });
  });

  it('reports FORBIDDEN for an identity without rights', async () => {
    const kc = kubeConfigFor(cluster.info.kubeconfig);
    kc.users = kc.users.map((u) => ({ ...u, impersonateUser: 'nobody' }));
    const nobody = new Kube(kc);
    await expect(nobody.get(LEASES, ns, 'x')).rejects.toMatchObject({ code: 'SKIFF_KUBE_FORBIDDEN', status: 403 });
    nobody.close();
  });

  it('reports GONE for a watch from before the watch cache of a re-created resource', async () => {
    const crd = await throwawayCrd(kube, ns);
    await kube.apply(crd.resource, { metadata: { name: 'w1', namespace: ns }, spec: {} });
    const { resourceVersion } = await kube.list(crd.resource, ns);
    await crd.recreate();
    await kube.apply(crd.resource, { metadata: { name: 'w2', namespace: ns }, spec: {} });
    const watching = kube.watch(crd.resource, ns, resourceVersion, () => {}, new AbortController().signal);
    await expect(watching).rejects.toMatchObject({ code: 'SKIFF_KUBE_GONE', status: 410 });
    await crd.remove();
  });
});
