/**
 * `npm run bench:nats`: the cost of NATS-backed capabilities seen from a guest, against
 * raw nats.js in the same run: sequential KV gets (guest on JetStream KV vs a nats.js KV
 * get) and sequential request/reply round trips (guest vs nats.js). Each guest number is
 * measured inside one HTTP request doing N calls, so HTTP is amortized away. Two hosts
 * run side by side: one whose workload threads open their own NATS connection for
 * keyvalue (what `skiff host` does), one whose guests reach NATS through the main thread.
 */
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { Workload } from '../dist/src/api/index.js';
import { VirtualHostRouter } from '../dist/src/runtime/http/routers.js';
import { HttpServerHandler } from '../dist/src/runtime/http/server.js';
import { type Host, HostBuilder } from '../dist/src/runtime/host.js';
import { natsPlugins } from '../dist/src/runtime/plugins/index.js';
import { buildFixture } from '../tools/fixtures/build.js';
import { record, startNatsServer } from './support.js';

const N = Number(process.env.BENCH_CALLS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const nats = await startNatsServer();
const nc = await connect({ servers: nats.url });
const responder = await connect({ servers: nats.url });
const wasm = await buildFixture('kitchen-sink');

interface BenchHost {
  host: Host;
  call(path: string, body?: string): Promise<string>;
}

async function benchHost(threads: boolean): Promise<BenchHost> {
  const http = new HttpServerHandler({ port: 0, router: new VirtualHostRouter({ fallback: true }) });
  const builder = new HostBuilder().withFileImageRoots(['/']).withHttpHandler(http);
  const settings = threads ? { settings: { servers: [nats.url] } } : undefined;
  for (const p of natsPlugins(nc, { threads: settings })) builder.withPlugin(p);
  const host = builder.build();
  await host.start();
  const workload: Workload = {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name: 'bench', namespace: 'default' },
    spec: {
      replicas: 1,
      volumes: [],
      components: [{ name: 'sink', image: `file://${wasm}` }],
      hostInterfaces: [
        { namespace: 'wasi', package: 'keyvalue', interfaces: ['store', 'atomics', 'batch'] },
        { namespace: 'wasi', package: 'blobstore', interfaces: ['blobstore'] },
        { namespace: 'wasi', package: 'config', interfaces: ['store'] },
        { namespace: 'wasi', package: 'logging', interfaces: ['logging'] },
        { namespace: 'wasmcloud', package: 'messaging', interfaces: ['consumer'] },
        { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'] },
      ],
    },
  };
  await host.workloadStart(workload);
  const call = async (path: string, body?: string) => {
    const res = await fetch(`http://127.0.0.1:${http.port}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      body,
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text}`);
    return text;
  };
  return { host, call };
}

/** best runs `measure` ROUNDS times and keeps the lowest: other work on the machine only ever adds time. */
async function best(measure: () => Promise<number>): Promise<number> {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < ROUNDS; i++) min = Math.min(min, await measure());
  return min;
}

const hosts = { threads: await benchHost(true), main: await benchHost(false) };
try {
  // KV: the guest writes the value, then N gets inside one request; raw: N nats.js gets.
  await hosts.threads.call('/kv/set?bucket=bench&key=k', 'v'.repeat(64));
  const guestKv = async (h: BenchHost) => {
    await h.call('/kv/repeat-get?bucket=bench&key=k&n=100'); // warm up
    const t = performance.now();
    await h.call(`/kv/repeat-get?bucket=bench&key=k&n=${N}`);
    return ((performance.now() - t) * 1000) / N;
  };
  // The same read path as the backend: direct gets on the backend's bucket for (default, bench).
  const kvm = new Kvm(responder);
  let bucket = '';
  for await (const status of kvm.list()) if (status.bucket.includes('bench')) bucket = status.bucket;
  if (!bucket) throw new Error('bench bucket not found');
  const kv = await kvm.open(bucket, { allow_direct: true });
  let key = '';
  for await (const k of await kv.keys()) key = k;
  const rawKv = async () => {
    for (let i = 0; i < 100; i++) await kv.get(key);
    const t = performance.now();
    for (let i = 0; i < N; i++) await kv.get(key);
    return ((performance.now() - t) * 1000) / N;
  };
  // Interleaved, so a burst of load elsewhere hits every side alike.
  let [threadsKv, mainKv, raw] = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
  for (let i = 0; i < ROUNDS; i++) {
    threadsKv = Math.min(threadsKv, await guestKv(hosts.threads));
    mainKv = Math.min(mainKv, await guestKv(hosts.main));
    raw = Math.min(raw, await rawKv());
  }

  // Messaging: a nats.js responder echoes; the guest does N sequential requests.
  const sub = responder.subscribe('bench.echo', {
    callback: (_e, m) => {
      m.respond(m.data);
    },
  });
  await responder.flush();
  const guestRps = (h: BenchHost) => async () => {
    await h.call('/msg/repeat-request?subject=bench.echo&n=100', 'ping');
    const t = performance.now();
    await h.call(`/msg/repeat-request?subject=bench.echo&n=${N}`, 'ping');
    return (performance.now() - t) / N;
  };
  const rawRequest = async () => {
    for (let i = 0; i < 100; i++) await nc.request('bench.echo', 'ping');
    const t = performance.now();
    for (let i = 0; i < N; i++) await nc.request('bench.echo', 'ping');
    return (performance.now() - t) / N;
  };
  const guestMs = await best(guestRps(hosts.threads));
  const rawMs = await best(rawRequest);
  sub.unsubscribe();

  const us = (n: number) => n.toFixed(0);
  const table = [
    '| measurement | guest (Skiff) | raw nats.js | ratio | target |',
    '|---|---:|---:|---:|---:|',
    `| KV get, µs each, NATS connection in the workload thread (skiff host) | ${us(threadsKv)} | ${us(raw)} | ${(threadsKv / raw).toFixed(2)}× | ≤ 1.3× |`,
    `| KV get, µs each, through the main thread | ${us(mainKv)} | ${us(raw)} | ${(mainKv / raw).toFixed(2)}× | |`,
    `| request/reply round trips per second (through the main thread) | ${(1000 / guestMs).toFixed(0)} | ${(1000 / rawMs).toFixed(0)} | ${(rawMs / guestMs).toFixed(2)}× | |`,
    '',
    `${N} sequential calls each, best of ${ROUNDS} interleaved rounds; one nats-server on loopback; JS guest (kitchen-sink).`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  await record('bench:nats', table);
} finally {
  for (const h of Object.values(hosts)) await h.host.stop();
  await nc.close();
  await responder.close();
  await nats.stop();
}
