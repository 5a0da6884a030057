/**
 * Every NATS backend through a real guest (test/fixtures/kitchen-sink) on a real host with
 * `natsPlugins` and a real nats-server: key-value (two hosts share data and counters),
 * blobstore (multi-MB objects), config overrides from the `skiff-config` bucket reaching a
 * running instance, logging on the workload subject, messaging with subscriptions and
 * request/reply, and a nats-server restart in the middle of guest traffic. Host `one` lets
 * its workload threads open NATS connections of their own for keyvalue and blobstore;
 * host `two` serves every call through its main thread's connection.
 */
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workloadLogSubject } from '../../src/nats/subjects.js';
import { VirtualHostRouter } from '../../src/runtime/http/routers.js';
import { configKey, natsPlugins } from '../../src/runtime/plugins/index.js';
import { fixturePath } from '../support/fixtures.js';
import { KITCHEN_SINK_GRANTS, startTestHost, type TestHost, workload } from '../support/host.js';
import { connectTest, startNats, type TestNatsServer } from '../support/nats.js';
import { settles, waitFor } from '../support/wait.js';

const GRANTS = KITCHEN_SINK_GRANTS;

let server: TestNatsServer;
let wasm: string;
const conns: NatsConnection[] = [];
const hosts: TestHost[] = [];

function sink(name: string, vhost: string, namespace = 'default') {
  return workload(
    name,
    [{ name: 'sink', image: `file://${wasm}`, config: { greeting: 'ahoy' } }],
    [...GRANTS, { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], config: { host: vhost } }],
    { namespace },
  );
}

async function natsHost(options: { threads: boolean }): Promise<TestHost> {
  const nc = await connectTest(server);
  conns.push(nc);
  const threads = options.threads ? { settings: { servers: [server.url] } } : undefined;
  const plugins = natsPlugins(nc, { timeoutMs: 1000, threads });
  const t = await startTestHost({ plugins, router: new VirtualHostRouter() });
  hosts.push(t);
  return t;
}

const call = (t: TestHost, vhost: string, path: string, body?: string) =>
  t.request(path, { host: vhost, method: body === undefined ? 'GET' : 'POST', body });


let one: TestHost;
let two: TestHost;

beforeAll(async () => {
  [server, wasm] = await Promise.all([startNats(), fixturePath('kitchen-sink')]);
  [one, two] = [await natsHost({ threads: true }), await natsHost({ threads: false })];
  await one.host.workloadStart(sink('a', 'a.test'));
  await two.host.workloadStart(sink('b', 'b.test'));
  await two.host.workloadStart(sink('c', 'c.test', 'other'));
});
afterAll(async () => {
  await Promise.all(hosts.map((t) => t.stop()));
  await Promise.all(conns.map((nc) => nc.close()));
  await server?.stop();
});

describe('wasi:keyvalue on NATS through a guest', () => {
  it('stores, lists, deletes and shares data between hosts of one namespace only', async () => {
    expect(await call(one, 'a.test', '/kv/set?bucket=orders&key=k.1', 'v1')).toEqual({
      status: 200,
      text: '{"ok":true}',
    });
    expect(await call(two, 'b.test', '/kv/get?bucket=orders&key=k.1')).toEqual({ status: 200, text: 'v1' });
    expect((await call(two, 'b.test', '/kv/list?bucket=orders')).text).toBe('{"keys":["k.1"]}');
    expect((await call(two, 'c.test', '/kv/get?bucket=orders&key=k.1')).status).toBe(404);
    await call(two, 'b.test', '/kv/batch/set?bucket=orders', JSON.stringify({ x: '1', y: '2' }));
    const got = await call(one, 'a.test', '/kv/batch/get?bucket=orders', JSON.stringify(['x', 'z']));
    expect(JSON.parse(got.text)).toEqual({ values: { x: '1', z: null } });
    await call(one, 'a.test', '/kv/delete?bucket=orders&key=k.1');
    expect((await call(two, 'b.test', '/kv/get?bucket=orders&key=k.1')).status).toBe(404);
  });

  it("reaches NATS from the workload thread on host one, not through its main thread's connection", async () => {
    await call(one, 'a.test', '/kv/set?bucket=threads&key=k', 'v');
    const main = conns[0]!.stats().outMsgs;
    expect(await call(one, 'a.test', '/kv/repeat-get?bucket=threads&key=k&n=20')).toMatchObject({ status: 200 });
    expect(conns[0]!.stats().outMsgs).toBe(main);
    // Host two has no thread copies: the same calls go out on its main connection.
    await call(two, 'b.test', '/kv/set?bucket=threads&key=k', 'v');
    const before = conns[1]!.stats().outMsgs;
    expect(await call(two, 'b.test', '/kv/repeat-get?bucket=threads&key=k&n=20')).toMatchObject({ status: 200 });
    expect(conns[1]!.stats().outMsgs).toBeGreaterThanOrEqual(before + 20);
  });

  it('counts atomically across two hosts', async () => {
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        i % 2
          ? call(one, 'a.test', '/kv/incr?bucket=count&key=hits')
          : call(two, 'b.test', '/kv/incr?bucket=count&key=hits'),
      ),
    );
    expect((await call(one, 'a.test', '/kv/incr?bucket=count&key=hits&delta=0')).text).toBe('{"value":100}');
  });
});

describe('wasi:blobstore on NATS through a guest', () => {
  it('writes and reads a multi-MB object, by range, and copies it', async () => {
    const big = 'y'.repeat(3 * 1024 * 1024);
    expect(JSON.parse((await call(one, 'a.test', '/blob/put?container=docs&name=big', big)).text)).toEqual({
      ok: true,
      size: big.length,
    });
    const back = await call(two, 'b.test', '/blob/get?container=docs&name=big');
    expect(back.text.length).toBe(big.length);
    expect((await call(two, 'b.test', '/blob/get?container=docs&name=big&start=10&end=14')).text).toBe('yyyyy');
    await call(one, 'a.test', '/blob/copy?container=docs&name=big&to-container=docs&to-name=copy');
    expect(JSON.parse((await call(one, 'a.test', '/blob/list?container=docs')).text).objects.sort()).toEqual([
      'big',
      'copy',
    ]);
    expect((await call(two, 'c.test', '/blob/get?container=docs&name=copy')).status).not.toBe(200);
  });
});

describe('wasi:config on NATS through a guest', () => {
  it('serves the manifest map and picks up skiff-config overrides without a restart', async () => {
    expect(JSON.parse((await call(one, 'a.test', '/config/get?key=greeting')).text).value).toBe('ahoy');
    const kv = await new Kvm(conns[0]!).create('skiff-config');
    await kv.put(configKey({ namespace: 'default', workload: 'a', component: 'sink' }, 'greeting'), 'hello');
    await waitFor(
      'the override to reach the guest',
      async () => JSON.parse((await call(one, 'a.test', '/config/get?key=greeting')).text).value === 'hello',
    );
    expect(JSON.parse((await call(two, 'b.test', '/config/get?key=greeting')).text).value).toBe('ahoy');
  });
});

describe('wasi:logging on NATS through a guest', () => {
  it('publishes guest log lines on the workload subject', async () => {
    const nc = await connectTest(server);
    conns.push(nc);
    const lines: Record<string, unknown>[] = [];
    nc.subscribe(workloadLogSubject('default', 'a'), {
      callback: (_e, m) => {
        lines.push(m.json());
      },
    });
    await nc.flush();
    await call(one, 'a.test', '/log?level=warn&msg=disk%20low&context=storage');
    await waitFor('a published log record', () => lines.length > 0);
    expect(lines[0]).toMatchObject({ level: 'warn', context: 'storage', message: 'disk low', workload: 'a' });
  });
});

describe('wasmcloud:messaging on NATS through a guest', () => {
  it('delivers subscribed messages to the handler and answers requests', async () => {
    await call(two, 'c.test', '/msg/publish?subject=orders.new', 'order-1');
    // a and b both subscribe to orders.> (different workloads: each gets it once).
    for (const [t, vhost] of [
      [one, 'a.test'],
      [two, 'b.test'],
    ] as const) {
      const stored = await waitFor('the handled message in the bucket', async () => {
        const r = await call(t, vhost, '/kv/get?bucket=inbox&key=orders.new');
        return r.status === 200 && r;
      });
      expect(stored.text).toBe('order-1');
    }
    const res = await call(two, 'c.test', '/msg/request?subject=orders.ask&timeout-ms=5000', 'hello');
    expect(JSON.parse(res.text).body).toBe('HELLO');
    const none = await call(one, 'a.test', '/msg/request?subject=nobody.home&timeout-ms=500', 'x');
    expect([none.status, JSON.parse(none.text).error]).toEqual([502, 'messaging']);
  });
});

describe('a nats-server restart under guest traffic', () => {
  it('returns WIT errors promptly while NATS is down, loses nothing, and recovers by itself', async () => {
    for (let i = 0; i < 20; i++) await call(one, 'a.test', `/kv/set?bucket=durable&key=k${i}`, `v${i}`);
    await server.down();
    // Promptly: each answer must come well before NATS could reconnect (a hang fails here).
    const kv = await settles('a KV get during the outage', call(one, 'a.test', '/kv/get?bucket=durable&key=k1'), 5000);
    const msg = await settles(
      'a request during the outage',
      call(one, 'a.test', '/msg/request?subject=orders.ask&timeout-ms=500', 'x'),
      5000,
    );
    expect([kv.status, JSON.parse(kv.text).error]).toEqual([500, 'other']);
    expect([msg.status, JSON.parse(msg.text).error]).toEqual([502, 'messaging']);
    await server.up();
    await waitFor(
      'the first host to read again',
      async () => (await call(one, 'a.test', '/kv/get?bucket=durable&key=k1')).status === 200,
      20_000,
    );
    // Each host reconnects on its own schedule; wait for the second too.
    await waitFor(
      'the second host to read again',
      async () => (await call(two, 'b.test', '/kv/get?bucket=durable&key=k1')).status === 200,
      20_000,
    );
    for (let i = 0; i < 20; i++)
      expect((await call(two, 'b.test', `/kv/get?bucket=durable&key=k${i}`)).text).toBe(`v${i}`);
    const res = await waitFor(
      'a request/reply round trip again',
      async () => {
        const r = await call(two, 'c.test', '/msg/request?subject=orders.ask&timeout-ms=1000', 'back');
        return r.status === 200 && r;
      },
      20_000,
    );
    expect(JSON.parse(res.text).body).toBe('BACK');
    expect(one.host.workloadStatus('default/a')).toMatchObject({ state: 'Running' });
  });
});

