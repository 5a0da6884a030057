/**
 * Named backends through a real guest (test/fixtures/kitchen-sink) on a real host built
 * with `hostPlugins`: NATS by default (with per-thread connections), plus memory, a data
 * directory and a real redis-server. One workload grants wasi:keyvalue three times — a
 * `cache` on memory, `orders` on NATS, `sessions` on Redis — and wasi:blobstore twice (the
 * unnamed one on NATS, an `archive` on the filesystem); the guest reaches each instance by
 * the bucket or container it opens. The test reads each backend directly to check where the
 * data landed, and a second workload with the same backend config sees the same data.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workload } from '../../src/api/index.js';
import { VirtualHostRouter } from '../../src/runtime/http/routers.js';
import { hostPlugins } from '../../src/runtime/plugins/index.js';
import { fixturePath } from '../support/fixtures.js';
import { KITCHEN_SINK_GRANTS, startTestHost, type TestHost, workload } from '../support/host.js';
import { connectTest, startNats, type TestNatsServer } from '../support/nats.js';
import { startRedis, type TestRedisServer } from '../support/redis.js';

let nats: TestNatsServer;
let redis: TestRedisServer;
let nc: NatsConnection;
let wasm: string;
let t: TestHost;
const dataDir = mkdtempSync(join(tmpdir(), 'skiff-named-'));

const KV = {
  namespace: 'wasi',
  package: 'keyvalue',
  interfaces: ['store', 'atomics', 'batch'],
  version: '0.2.0-draft',
};
const BLOB = { namespace: 'wasi', package: 'blobstore', interfaces: ['blobstore'], version: '0.2.0-draft' };
const OTHERS = KITCHEN_SINK_GRANTS.filter((g) => g.package !== 'keyvalue' && g.package !== 'blobstore');

function shop(name: string, vhost: string): Workload {
  const grants: Workload['spec']['hostInterfaces'] = [
    { ...KV, name: 'cache', config: { backend: 'memory' } },
    { ...KV, name: 'orders', config: { backend: 'nats' } },
    { ...KV, name: 'sessions', config: { backend: 'redis' } },
    BLOB,
    { ...BLOB, name: 'archive', config: { backend: 'filesystem' } },
    ...OTHERS,
    { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], config: { host: vhost } },
  ];
  return workload(name, [{ name: 'sink', image: `file://${wasm}` }], grants, { namespace: 'shop' });
}

const call = (vhost: string, path: string, body?: string) =>
  t.request(path, { host: vhost, method: body === undefined ? 'GET' : 'POST', body });

beforeAll(async () => {
  [nats, redis, wasm] = await Promise.all([startNats(), startRedis(), fixturePath('kitchen-sink')]);
  nc = await connectTest(nats);
  const plugins = hostPlugins({
    nats: { nc, options: { timeoutMs: 1000, threads: { settings: { servers: [nats.url] } } } },
    dataDir,
    redisUrl: redis.url,
  });
  t = await startTestHost({ plugins, router: new VirtualHostRouter() });
  await t.host.workloadStart(shop('web', 'web.test'));
  await t.host.workloadStart(shop('worker', 'worker.test'));
});
afterAll(async () => {
  await t?.stop();
  await nc?.close();
  await Promise.all([nats?.stop(), redis?.stop()]);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('named backends through a guest', () => {
  it('puts each named keyvalue instance on its own backend, chosen by the bucket the guest opens', async () => {
    for (const bucket of ['cache', 'orders', 'sessions']) {
      expect(await call('web.test', `/kv/set?bucket=${bucket}&key=k`, `in ${bucket}`)).toEqual({
        status: 200,
        text: '{"ok":true}',
      });
      expect(await call('web.test', `/kv/get?bucket=${bucket}&key=k`)).toEqual({ status: 200, text: `in ${bucket}` });
    }
    // orders is a JetStream KV bucket; cache and sessions never reached NATS.
    const kvm = new Kvm(nc);
    const orders = await kvm.open('skiff_shop_orders');
    expect(new TextDecoder().decode((await orders.get('k'))?.value)).toBe('in orders');
    const streams: string[] = [];
    for await (const s of kvm.list()) streams.push(s.streamInfo.config.name);
    expect(streams.filter((s) => s.startsWith('KV_skiff_shop_')).sort()).toEqual(['KV_skiff_shop_orders']);
    // sessions is a Redis hash.
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      expect(await client.hGet('skiff:kv:shop:sessions', 'k')).toBe('in sessions');
      expect(await client.exists('skiff:kv:shop:cache')).toBe(0);
    } finally {
      client.destroy();
    }
    // A bucket no instance is named after has nowhere to go: there is no unnamed keyvalue grant.
    expect(await call('web.test', '/kv/get?bucket=misc&key=k')).toEqual({
      status: 404,
      text: '{"error":"no-such-store"}',
    });
  });

  it('shares each backend between workloads with the same backend config', async () => {
    await call('web.test', '/kv/set?bucket=cache&key=shared', 'from web');
    expect(await call('worker.test', '/kv/get?bucket=cache&key=shared')).toEqual({ status: 200, text: 'from web' });
    await call('worker.test', '/kv/incr?bucket=sessions&key=n&delta=2');
    expect(JSON.parse((await call('web.test', '/kv/incr?bucket=sessions&key=n&delta=3')).text)).toEqual({ value: 5 });
  });

  it('routes blobstore containers: archive on the filesystem, every other container on NATS', async () => {
    expect((await call('web.test', '/blob/put?container=archive&name=a.txt', 'kept on disk')).status).toBe(200);
    expect((await call('web.test', '/blob/put?container=inbox&name=b.txt', 'kept in NATS')).status).toBe(200);
    expect(await call('worker.test', '/blob/get?container=archive&name=a.txt')).toEqual({
      status: 200,
      text: 'kept on disk',
    });
    const file = join(dataDir, 'blobstore', 'shop', 'archive', 'a=2etxt');
    expect(readFileSync(file, 'utf8')).toBe('kept on disk');
    expect(existsSync(join(dataDir, 'blobstore', 'shop', 'inbox'))).toBe(false);
    expect(await call('worker.test', '/blob/get?container=inbox&name=b.txt')).toEqual({
      status: 200,
      text: 'kept in NATS',
    });
  });
});
