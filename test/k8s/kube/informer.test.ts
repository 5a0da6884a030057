/**
 * The informer against the real API server: changes reach the cache and onChange; a watch
 * cut by a proxy resumes from the last resourceVersion; a 410 relists and reports what
 * changed meanwhile; a throwing handler changes nothing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFIGMAPS,
  createKubeMetrics,
  Informer,
  type InformerOptions,
  type Kube,
  type KubeMetrics,
  SECRETS,
} from '../../../src/operator/kube/index.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { type Cluster, connect, createNamespace, waitFor } from '../cluster.js';
import { throwawayCrd } from './crd.js';
import { kubeFor, serverAddress, TcpProxy } from './proxy.js';

let cluster: Cluster;
let ns: string;
let kube: Kube;
const stops: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  cluster = await connect();
  ns = await createNamespace(cluster, 'kube-informer');
  kube = kubeFor(cluster.info.kubeconfig);
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});
afterAll(async () => {
  kube?.close();
  await cluster?.release();
});

type Harness = { informer: Informer; changes: string[]; metrics: KubeMetrics };

function informer(options: Partial<InformerOptions> & { via?: Kube } = {}): Harness {
  const changes: string[] = [];
  const metrics = createKubeMetrics();
  const inf = new Informer({
    kube: options.via ?? kube,
    resource: CONFIGMAPS,
    namespaces: [ns],
    logger: silentLogger(),
    onChange: (key) => changes.push(key),
    backoff: { baseMs: 50, maxMs: 400 },
    healthyMs: 200,
    metrics,
    ...options,
  });
  inf.start();
  stops.push(() => inf.stop());
  return { informer: inf, changes, metrics };
}

async function proxied(): Promise<{ proxy: TcpProxy; client: Kube }> {
  const proxy = new TcpProxy(serverAddress(cluster.info.credentials.server));
  await proxy.start();
  const client = kubeFor(cluster.info.kubeconfig, proxy.port);
  stops.push(async () => {
    client.close();
    await proxy.pause();
  });
  return { proxy, client };
}

async function counter(metrics: KubeMetrics, name: 'relists' | 'watchRestarts', reason?: string): Promise<number> {
  const values = (await metrics[name].get()).values as { labels: Record<string, unknown>; value: number }[];
  return values.filter((v) => reason === undefined || v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
}

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>) => ({
  metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
  data,
});

describe('Informer', () => {
  it('lists, then reports adds, updates and deletes to onChange and the cache', async () => {
    await kube.apply(CONFIGMAPS, cm('before', { v: '0' }));
    const { informer: inf, changes } = informer();
    await inf.waitForSync(10_000);
    expect(inf.synced).toBe(true);
    expect(inf.get(`${ns}/before`)?.apiVersion).toBe('v1');
    expect(changes).toContain(`${ns}/before`);

    await kube.apply(CONFIGMAPS, cm('added', { v: '1' }));
    await waitFor('added in cache', async () => inf.get(`${ns}/added`));
    await kube.apply(CONFIGMAPS, cm('added', { v: '2' }));
    await waitFor('update in cache', async () =>
      (inf.get(`${ns}/added`) as { data?: { v?: string } } | undefined)?.data?.v === '2' ? true : undefined,
    );
    await kube.delete(CONFIGMAPS, ns, 'added');
    await waitFor('delete in cache', async () => (inf.get(`${ns}/added`) ? undefined : true));
    expect(changes.filter((k) => k === `${ns}/added`).length).toBe(3);
    expect(inf.keys()).toContain(`${ns}/before`);
    expect(inf.list().map((o) => o.metadata.name)).not.toContain('added');
  });

  it('resumes after its watch is cut and the server is unreachable for a while, from the last resourceVersion', async () => {
    const { proxy, client } = await proxied();
    const { informer: inf, changes, metrics } = informer({ via: client });
    await inf.waitForSync(10_000);
    await kube.apply(CONFIGMAPS, cm('cut-1'));
    await waitFor('cut-1 seen through the proxy', async () => inf.get(`${ns}/cut-1`));

    // Connections cut, listener kept: the informer re-watches at once.
    proxy.cut();
    await kube.apply(CONFIGMAPS, cm('cut-2'));
    await waitFor('cut-2 after a cut', async () => inf.get(`${ns}/cut-2`));

    // Proxy down: every attempt is refused while the change happens.
    await proxy.pause();
    const connectionsWhileDown = proxy.connections;
    await kube.apply(CONFIGMAPS, cm('cut-1', { changed: 'while down' }));
    await kube.delete(CONFIGMAPS, ns, 'cut-2');
    await kube.apply(CONFIGMAPS, cm('cut-3'));
    expect(inf.get(`${ns}/cut-3`)).toBeUndefined();
    await proxy.resume();
    await waitFor('changes made while down reach the cache', async () =>
      inf.get(`${ns}/cut-3`) &&
      !inf.get(`${ns}/cut-2`) &&
      (inf.get(`${ns}/cut-1`) as { data?: Record<string, string> }).data?.changed === 'while down'
        ? true
        : undefined,
    );
    expect(proxy.connections).toBeGreaterThan(connectionsWhileDown);
    expect(changes).toEqual(expect.arrayContaining([`${ns}/cut-3`, `${ns}/cut-2`]));
    expect(changes.filter((k) => k === `${ns}/cut-1`).length).toBe(2);
    // Resumed by watching from the last resourceVersion, not by listing again.
    expect(await counter(metrics, 'relists')).toBe(1);
    expect(await counter(metrics, 'watchRestarts', 'error')).toBeGreaterThanOrEqual(2);
  });

  it('gives up on a silent watch after the idle bound and watches again', async () => {
    const { proxy, client } = await proxied();
    const { informer: inf, metrics } = informer({ via: client, idleMs: 500 });
    await inf.waitForSync(10_000);
    await kube.apply(CONFIGMAPS, cm('before-stall'));
    await waitFor('the watch delivering', async () => inf.get(`${ns}/before-stall`));
    proxy.stall();
    await kube.apply(CONFIGMAPS, cm('after-stall'));
    await waitFor('change behind a stalled connection', async () => inf.get(`${ns}/after-stall`));
    expect(await counter(metrics, 'watchRestarts', 'error')).toBeGreaterThanOrEqual(1);
    expect(await counter(metrics, 'relists')).toBe(1);
  });

  it('relists on 410 Gone and reports every key added, changed or deleted meanwhile', async () => {
    const crd = await throwawayCrd(kube, ns);
    stops.push(() => crd.remove());
    const widget = (name: string, spec: object) => ({ metadata: { name, namespace: ns }, spec });
    await kube.apply(crd.resource, widget('keep', { v: 1 }));
    await kube.apply(crd.resource, widget('gone', { v: 1 }));
    const { proxy, client } = await proxied();
    const { informer: inf, changes, metrics } = informer({ via: client, resource: crd.resource });
    await inf.waitForSync(10_000);
    expect(inf.keys().sort()).toEqual([`${ns}/gone`, `${ns}/keep`]);

    await proxy.pause();
    await crd.recreate(); // deletes every widget and gives the resource a fresh watch cache
    await kube.apply(crd.resource, widget('keep', { v: 2 }));
    await kube.apply(crd.resource, widget('new', { v: 1 }));
    changes.length = 0;
    await proxy.resume();

    await waitFor('relisted cache', async () =>
      inf.keys().sort().join() === `${ns}/keep,${ns}/new` ? true : undefined,
    );
    expect(changes.sort()).toEqual([`${ns}/gone`, `${ns}/keep`, `${ns}/new`]);
    expect(inf.get(`${ns}/keep`)?.spec).toEqual({ v: 2 });
    expect(await counter(metrics, 'relists')).toBe(2);
    expect(await counter(metrics, 'watchRestarts', 'gone')).toBeGreaterThanOrEqual(1);
  });

  it('re-watches when the server ends a watch at its timeout, without listing again', async () => {
    const { informer: inf, metrics } = informer({ watchTimeoutSeconds: 1, healthyMs: 500 });
    await inf.waitForSync(10_000);
    await waitFor('two watches ended by the server', async () =>
      (await counter(metrics, 'watchRestarts', 'ended')) >= 2 ? true : undefined,
    );
    await kube.apply(CONFIGMAPS, cm('after-timeouts'));
    await waitFor('change after timeouts', async () => inf.get(`${ns}/after-timeouts`));
    expect(await counter(metrics, 'relists')).toBe(1);
    expect(await counter(metrics, 'watchRestarts', 'error')).toBe(0);
  });

  it('reports a sync timeout while the server is unreachable, syncs once it is back, and stops at once', async () => {
    const { proxy, client } = await proxied();
    await proxy.pause();
    const { informer: inf } = informer({ via: client });
    await expect(inf.waitForSync(300)).rejects.toMatchObject({ code: 'SKIFF_KUBE_TIMEOUT' });
    expect(inf.synced).toBe(false);
    await proxy.resume();
    await inf.waitForSync(10_000);
    proxy.stall(); // the next request or watch would hang: stop must not wait for it
    await inf.stop();
    expect(inf.synced).toBe(true);
  });

  it('keeps going when onChange throws', async () => {
    let calls = 0;
    const { informer: inf } = informer({
      onChange: () => {
        calls++;
        throw new Error('handler bug');
      },
    });
    await inf.waitForSync(10_000);
    await kube.apply(CONFIGMAPS, cm('throw-1'));
    await waitFor('throw-1 cached', async () => inf.get(`${ns}/throw-1`));
    const after = calls;
    await kube.apply(CONFIGMAPS, cm('throw-2'));
    await waitFor('throw-2 cached despite the handler', async () => inf.get(`${ns}/throw-2`));
    expect(calls).toBeGreaterThan(after);
  });

  it('honours a label selector and several namespaces', async () => {
    const other = await createNamespace(cluster, 'kube-informer-b');
    const unwatched = await createNamespace(cluster, 'kube-informer-c');
    const { informer: inf } = informer({ namespaces: [ns, other], labelSelector: 'app=skiff' });
    await inf.waitForSync(10_000);
    const labelled = { app: 'skiff' };
    await kube.apply(CONFIGMAPS, { ...cm('sel-a', {}, labelled) });
    await kube.apply(CONFIGMAPS, { metadata: { name: 'sel-b', namespace: other, labels: labelled }, data: {} });
    await kube.apply(CONFIGMAPS, { metadata: { name: 'sel-c', namespace: unwatched, labels: labelled }, data: {} });
    await kube.apply(CONFIGMAPS, cm('sel-unlabelled'));
    await waitFor('both watched namespaces', async () =>
      inf.get(`${ns}/sel-a`) && inf.get(`${other}/sel-b`) ? true : undefined,
    );
    // Relabelling out of the selector is a delete for the informer.
    await kube.apply(CONFIGMAPS, cm('sel-a', {}, { app: 'other' }));
    await waitFor('relabelled object leaves the cache', async () => (inf.get(`${ns}/sel-a`) ? undefined : true));
    expect(inf.keys().sort()).toEqual([`${other}/sel-b`]);
  });

  it('caches metadata only when asked: names and resourceVersions, never data', async () => {
    const { informer: inf, changes } = informer({ resource: SECRETS, metadataOnly: true });
    await kube.apply(SECRETS, { metadata: { name: 'meta-a', namespace: ns }, stringData: { token: 'meta-secret' } });
    await inf.waitForSync(10_000);
    await waitFor('listed', async () => inf.get(`${ns}/meta-a`));
    const changed = await kube.apply(SECRETS, {
      metadata: { name: 'meta-a', namespace: ns },
      stringData: { token: 'meta-secret-2' },
    });
    const seen = await waitFor('watched change', async () => {
      const o = inf.get(`${ns}/meta-a`);
      return o?.metadata.resourceVersion === changed.metadata.resourceVersion ? o : undefined;
    });
    expect(seen.kind).toBe('PartialObjectMetadata');
    expect(inf.list().filter((o) => 'data' in o || 'stringData' in o)).toEqual([]);
    expect(JSON.stringify(inf.list())).not.toContain(Buffer.from('meta-secret').toString('base64'));
    expect(changes).toContain(`${ns}/meta-a`);
  });
});
