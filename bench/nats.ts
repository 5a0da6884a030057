/**
 * `npm run bench:nats`: the cost of NATS-backed capabilities seen from a guest, against
 * raw nats.js in the same run: sequential KV gets (guest on JetStream KV vs a nats.js KV
 * get) and sequential request/reply round trips (guest vs nats.js). Each guest number is
 * measured inside one HTTP request doing N calls, so HTTP is amortized away.
 */
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { Workload } from '../dist/src/api/index.js';
import { VirtualHostRouter } from '../dist/src/runtime/http/routers.js';
import { HttpServerHandler } from '../dist/src/runtime/http/server.js';
import { HostBuilder } from '../dist/src/runtime/host.js';
import { natsPlugins } from '../dist/src/runtime/plugins/index.js';
import { buildFixture } from '../tools/fixtures/build.js';
import { record, startNatsServer } from './support.js';

const N = Number(process.env.BENCH_CALLS ?? 2000);
const nats = await startNatsServer();
const nc = await connect({ servers: nats.url });
const responder = await connect({ servers: nats.url });
const http = new HttpServerHandler({ port: 0, router: new VirtualHostRouter({ fallback: true }) });
const builder = new HostBuilder().withFileImageRoots(['/']).withHttpHandler(http);
for (const p of natsPlugins(nc)) builder.withPlugin(p);
const host = builder.build();

try {
  await host.start();
  const wasm = await buildFixture('kitchen-sink');
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
  const url = (path: string) => `http://127.0.0.1:${http.port}${path}`;
  const call = async (path: string, body?: string) => {
    const res = await fetch(url(path), { method: body === undefined ? 'GET' : 'POST', body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text}`);
    return text;
  };

  // KV: the guest writes the value, then N gets inside one request; raw: N nats.js gets.
  await call('/kv/set?bucket=bench&key=k', 'v'.repeat(64));
  await call('/kv/repeat-get?bucket=bench&key=k&n=100'); // warm up
  let t = performance.now();
  await call(`/kv/repeat-get?bucket=bench&key=k&n=${N}`);
  const guestKv = (performance.now() - t) / N;
  // The same read path as the backend: direct gets.
  const kv = await new Kvm(responder).open(
    await (async () => {
      // The backend's bucket for (default, bench): find it by listing, so the raw get reads the same data.
      const kvm = new Kvm(responder);
      for await (const status of kvm.list()) if (status.bucket.includes('bench')) return status.bucket;
      throw new Error('bench bucket not found');
    })(),
    { allow_direct: true },
  );
  const key = await (async () => {
    for await (const k of await kv.keys()) return k;
    throw new Error('no key');
  })();
  for (let i = 0; i < 100; i++) await kv.get(key);
  t = performance.now();
  for (let i = 0; i < N; i++) await kv.get(key);
  const rawKv = (performance.now() - t) / N;

  // Messaging: a nats.js responder echoes; the guest does N sequential requests.
  const sub = responder.subscribe('bench.echo', {
    callback: (_e, m) => {
      m.respond(m.data);
    },
  });
  await responder.flush();
  await call('/msg/repeat-request?subject=bench.echo&n=100', 'ping');
  t = performance.now();
  await call(`/msg/repeat-request?subject=bench.echo&n=${N}`, 'ping');
  const guestRps = N / ((performance.now() - t) / 1000);
  for (let i = 0; i < 100; i++) await nc.request('bench.echo', 'ping');
  t = performance.now();
  for (let i = 0; i < N; i++) await nc.request('bench.echo', 'ping');
  const rawRps = N / ((performance.now() - t) / 1000);
  sub.unsubscribe();

  const table = [
    '| measurement | guest (Skiff) | raw nats.js | ratio | target |',
    '|---|---:|---:|---:|---:|',
    `| KV get, µs each (sequential) | ${(guestKv * 1000).toFixed(0)} | ${(rawKv * 1000).toFixed(0)} | ${(guestKv / rawKv).toFixed(2)}× | ≤ 1.3× |`,
    `| request/reply round trips per second (sequential) | ${guestRps.toFixed(0)} | ${rawRps.toFixed(0)} | ${(guestRps / rawRps).toFixed(2)}× | |`,
    '',
    `${N} sequential calls each, one nats-server on loopback, JS guest (kitchen-sink) on the NATS backends.`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  await record('bench:nats', table);
} finally {
  await host.stop();
  await nc.close();
  await responder.close();
  await nats.stop();
}
