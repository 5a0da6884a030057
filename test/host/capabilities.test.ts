/**
 * Every capability through a real guest (test/fixtures/kitchen-sink) on a real host with
 * the in-memory plugins: key-value, blobstore, config, logging, messaging, the WASI core
 * (env, args, files in volumes, clocks, random, stdout) and isolation between workloads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workload } from '../../src/api/index.js';
import { VirtualHostRouter } from '../../src/runtime/http/routers.js';
import { loggingPlugin, memoryLogBackend, memoryPlugins } from '../../src/runtime/plugins/index.js';
import { fixturePath } from '../support/fixtures.js';
import { KITCHEN_SINK_GRANTS, startTestHost, type TestHost, workload } from '../support/host.js';
import { waitFor } from '../support/wait.js';

const logBackend = memoryLogBackend();
let t: TestHost;
let wasm: string;

const GRANTS = KITCHEN_SINK_GRANTS;

function sink(
  name: string,
  vhost: string,
  namespace = 'default',
  extra: Partial<Workload['spec']['components'][0]> = {},
) {
  return workload(
    name,
    [
      {
        name: 'sink',
        image: `file://${wasm}`,
        config: { greeting: 'ahoy', region: 'eu' },
        environment: { MODE: 'test' },
        args: ['sink', '--verbose'],
        volumeMounts: [{ name: 'scratch', mountPath: '/data' }],
        ...extra,
      },
    ],
    [...GRANTS, { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], config: { host: vhost } }],
    { namespace, volumes: [{ name: 'scratch', emptyDir: {} }] },
  );
}

async function get(vhost: string, path: string, body?: string) {
  return t.request(path, { host: vhost, method: body === undefined ? 'GET' : 'POST', body });
}


beforeAll(async () => {
  wasm = await fixturePath('kitchen-sink');
  const plugins = memoryPlugins().filter((p) => p.id !== 'wasi:logging');
  t = await startTestHost({
    plugins: [...plugins, loggingPlugin({ backend: logBackend })],
    router: new VirtualHostRouter(),
  });
  await t.host.workloadStart(sink('a', 'a.test'));
  await t.host.workloadStart(sink('b', 'b.test'));
  await t.host.workloadStart(sink('c', 'c.test', 'other'));
});
afterAll(async () => {
  await t?.stop();
});

describe('wasi:keyvalue', () => {
  it('stores, reads, lists, deletes and counts', async () => {
    expect(await get('a.test', '/kv/set?bucket=orders&key=k1', 'v1')).toEqual({ status: 200, text: '{"ok":true}' });
    expect(await get('a.test', '/kv/get?bucket=orders&key=k1')).toEqual({ status: 200, text: 'v1' });
    expect((await get('a.test', '/kv/exists?bucket=orders&key=k1')).text).toBe('{"exists":true}');
    expect((await get('a.test', '/kv/list?bucket=orders')).text).toBe('{"keys":["k1"]}');
    expect((await get('a.test', '/kv/incr?bucket=orders&key=n&delta=5')).text).toBe('{"value":5}');
    expect((await get('a.test', '/kv/incr?bucket=orders&key=n')).text).toBe('{"value":6}');
    await get('a.test', '/kv/delete?bucket=orders&key=k1');
    expect((await get('a.test', '/kv/get?bucket=orders&key=k1')).status).toBe(404);
  });

  it('does batch operations', async () => {
    await get('a.test', '/kv/batch/set?bucket=batch', JSON.stringify({ x: '1', y: '2' }));
    const got = await get('a.test', '/kv/batch/get?bucket=batch', JSON.stringify(['x', 'y', 'z']));
    expect(JSON.parse(got.text)).toEqual({ values: { x: '1', y: '2', z: null } });
    await get('a.test', '/kv/batch/delete?bucket=batch', JSON.stringify(['x']));
    expect((await get('a.test', '/kv/get?bucket=batch&key=x')).status).toBe(404);
  });

  it('shares buckets within a namespace and never across namespaces', async () => {
    await get('a.test', '/kv/set?bucket=shared&key=k', 'from-a');
    expect((await get('b.test', '/kv/get?bucket=shared&key=k')).text).toBe('from-a');
    expect((await get('c.test', '/kv/get?bucket=shared&key=k')).status).toBe(404);
  });

  it('increments atomically under concurrent requests', async () => {
    await Promise.all(Array.from({ length: 40 }, () => get('a.test', '/kv/incr?bucket=count&key=hits')));
    expect((await get('b.test', '/kv/incr?bucket=count&key=hits&delta=0')).text).toBe('{"value":40}');
  });
});

describe('wasi:blobstore', () => {
  it('writes and reads objects through streams, lists, copies and deletes', async () => {
    const big = 'x'.repeat(300_000);
    expect(JSON.parse((await get('a.test', '/blob/put?container=docs&name=big', big)).text)).toEqual({
      ok: true,
      size: 300_000,
    });
    const back = await get('a.test', '/blob/get?container=docs&name=big');
    expect(back.status).toBe(200);
    expect(back.text.length).toBe(300_000);
    expect((await get('a.test', '/blob/get?container=docs&name=big&start=10&end=14')).text).toBe('xxxxx');
    await get('a.test', '/blob/copy?container=docs&name=big&to-container=docs&to-name=copy');
    expect(JSON.parse((await get('a.test', '/blob/list?container=docs')).text).objects.sort()).toEqual(['big', 'copy']);
    expect(JSON.parse((await get('a.test', '/blob/info?container=docs&name=copy')).text).size).toBe(300_000);
    await get('a.test', '/blob/delete?container=docs&name=big');
    expect((await get('a.test', '/blob/exists?container=docs&name=big')).text).toBe('{"exists":false}');
    expect((await get('c.test', '/blob/get?container=docs&name=copy')).status).not.toBe(200);
  });
});

describe('wasi:config', () => {
  it('serves the component config map', async () => {
    expect(JSON.parse((await get('a.test', '/config/get?key=greeting')).text)).toEqual({
      key: 'greeting',
      value: 'ahoy',
    });
    expect(JSON.parse((await get('a.test', '/config/get?key=nope')).text)).toEqual({ key: 'nope', value: null });
    expect(JSON.parse((await get('a.test', '/config/all')).text)).toEqual({
      config: { greeting: 'ahoy', region: 'eu' },
    });
  });
});

describe('wasi:logging', () => {
  it('logs with workload and component fields', async () => {
    await get('a.test', '/log?level=warn&msg=disk%20low&context=storage');
    const record = logBackend.recent({ namespace: 'default', workload: 'a' }).find((r) => r.message === 'disk low');
    expect(record).toMatchObject({ level: 'warn', context: 'storage' });
    expect(t.logs.some((l) => l.msg === 'disk low' && l.workload === 'default/a' && l.component === 'sink')).toBe(true);
  });
});

describe('wasmcloud:messaging', () => {
  it('delivers subscribed messages to the handler export', async () => {
    await get('a.test', '/msg/publish?subject=orders.new', 'order-1');
    const stored = await waitFor('the handled message in the bucket', async () => {
      const r = await get('a.test', '/kv/get?bucket=inbox&key=orders.new');
      return r.status === 200 && r;
    });
    expect(stored.text).toBe('order-1');
  });

  it('answers requests through a handler that replies', async () => {
    const res = await get('c.test', '/msg/request?subject=orders.ask&timeout-ms=5000', 'hello');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).body).toBe('HELLO');
  });

  it('fails a request nobody answers with a WIT error, not a trap', async () => {
    const res = await get('a.test', '/msg/request?subject=nobody.home&timeout-ms=200', 'x');
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text).error).toBe('messaging');
  });
});

describe('WASI core', () => {
  it('sees its environment and arguments', async () => {
    expect(JSON.parse((await get('a.test', '/env?key=MODE')).text)).toEqual({ key: 'MODE', value: 'test' });
    expect(JSON.parse((await get('a.test', '/args')).text).args).toEqual(['sink', '--verbose']);
  });

  it('reads and writes files only in its volumes, privately per workload', async () => {
    expect(JSON.parse((await get('a.test', '/fs/preopens')).text)).toEqual({ preopens: ['/data'] });
    await get('a.test', '/fs/write?path=/data/note.txt', 'private');
    expect((await get('a.test', '/fs/read?path=/data/note.txt')).text).toBe('private');
    expect((await get('b.test', '/fs/read?path=/data/note.txt')).status).toBe(404);
    expect((await get('a.test', '/fs/read?path=/etc/passwd')).status).toBe(403);
    expect((await get('a.test', '/fs/read?path=/data/../../etc/passwd')).status).toBe(403);
  });

  it('has clocks and randomness', async () => {
    const clock = JSON.parse((await get('a.test', '/clock')).text);
    expect(Math.abs(clock.dateNow - Date.now())).toBeLessThan(60_000);
    const r1 = JSON.parse((await get('a.test', '/random')).text).hex;
    const r2 = JSON.parse((await get('a.test', '/random')).text).hex;
    expect(r1).toMatch(/^[0-9a-f]{32}$/);
    expect(r1).not.toBe(r2);
    expect(JSON.parse((await get('a.test', '/sleep?ms=20')).text).slept).toBeGreaterThanOrEqual(20);
  });

  it('sends stdout into the workload log', async () => {
    await get('b.test', '/stdout?msg=printed-line');
    const line = await waitFor('the printed line in the log', () => t.logs.find((l) => l.msg === 'printed-line'));
    expect(line).toMatchObject({ workload: 'default/b', stream: 'stdout' });
  });
});

describe('outgoing HTTP', () => {
  it('reaches only the host names the workload allows', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => res.writeHead(200).end('from upstream'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const fetcher = sink('fetcher', 'fetcher.test');
      fetcher.spec.hostInterfaces = fetcher.spec.hostInterfaces.map((h) =>
        h.package === 'http'
          ? {
              ...h,
              interfaces: ['incoming-handler', 'outgoing-handler'],
              config: { host: 'fetcher.test', allowedHosts: '127.0.0.1' },
            }
          : h,
      );
      await t.host.workloadStart(fetcher);
      const target = encodeURIComponent(`http://127.0.0.1:${port}/x`);
      const allowed = await get('fetcher.test', `/http/fetch?url=${target}`);
      expect(JSON.parse(allowed.text)).toEqual({ status: 200, body: 'from upstream' });
      const denied = await get('a.test', `/http/fetch?url=${target}`);
      expect(denied.status).toBe(403);
      expect(JSON.parse(denied.text).error).toBe('HTTP-request-denied');
      const elsewhere = await get(
        'fetcher.test',
        `/http/fetch?url=${encodeURIComponent(`http://localhost:${port}/x`)}`,
      );
      expect(elsewhere.status).toBe(403);
    } finally {
      server.close();
      await t.host.workloadStop('default/fetcher').catch(() => undefined);
    }
  });
});

describe('deny-all', () => {
  it('refuses a component that imports ungranted interfaces, naming each', async () => {
    const w = workload(
      'denied',
      [{ name: 'sink', image: `file://${wasm}` }],
      [
        { namespace: 'wasi', package: 'keyvalue', interfaces: ['store'], version: '0.2.0-draft' },
        { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'] },
      ],
    );
    const err = await t.host.workloadStart(w).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    for (const iface of [
      'wasi:keyvalue/atomics@0.2.0-draft',
      'wasi:keyvalue/batch@0.2.0-draft',
      'wasi:blobstore/blobstore@0.2.0-draft',
      'wasi:config/store@0.2.0-rc.1',
      'wasi:logging/logging@0.1.0-draft',
      'wasmcloud:messaging/consumer@0.2.0',
    ]) {
      expect(message).toContain(iface);
    }
    expect(message).not.toContain('wasi:keyvalue/store@');
    expect(t.host.workloadStatus('default/denied')).toMatchObject({ state: 'Failed', reason: 'InterfaceNotGranted' });
  });

  it('refuses a grant of an incompatible version', async () => {
    const grants = GRANTS.map((g) => (g.package === 'keyvalue' ? { ...g, version: '0.3.0' } : g));
    const w = workload('old', [{ name: 'sink', image: `file://${wasm}` }], grants);
    await expect(t.host.workloadStart(w)).rejects.toThrow(/wasi:keyvalue\/store@0.2.0-draft \(granted version 0.3.0/);
  });
});
