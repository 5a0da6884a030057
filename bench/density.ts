/**
 * `npm run bench:density`: N (default 1,000) copies of the hello JS guest on one host, each
 * with its own virtual host. Reports the host process's RSS (every thread included) when
 * empty, after every start, after one request to every workload and after the idle
 * period; the start time per workload; and the first-request latency of an idle workload,
 * both while the pool still has a thread and after it shrank to zero. It loads the compiled
 * host from dist/ (`npm run build`), in this process; run it with --expose-gc so RSS is read
 * after a collection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Workload } from '../dist/src/api/index.js';
import { VirtualHostRouter } from '../dist/src/runtime/http/routers.js';
import { HttpServerHandler } from '../dist/src/runtime/http/server.js';
import { HostBuilder } from '../dist/src/runtime/host.js';
import { buildFixture } from '../tools/fixtures/build.js';
import { percentile, record } from './support.js';

const N = Number(process.env.BENCH_WORKLOADS ?? 1000);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 5000);
const COLD_SAMPLES = Number(process.env.BENCH_COLD_SAMPLES ?? 5);
const EXPECT = 'hello from skiff';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** rssMb reads the process's resident memory after a collection of the main heap. */
async function rssMb(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(100);
  }
  return process.memoryUsage.rss() / 2 ** 20;
}

function get(port: number, host: string): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ hostname: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          ms: performance.now() - started,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function hello(i: number, wasm: string): Workload {
  return {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name: `hello-${i}`, namespace: `tenant-${i}` },
    spec: {
      replicas: 1,
      volumes: [],
      components: [{ name: 'web', image: `file://${wasm}` }],
      hostInterfaces: [
        {
          namespace: 'wasi',
          package: 'http',
          interfaces: ['incoming-handler'],
          config: { host: `w${i}.density.test` },
        },
      ],
    },
  };
}

async function waitForNoThreads(host: { threads(): { threads: number } }): Promise<number> {
  const started = performance.now();
  while (host.threads().threads > 0) {
    if (performance.now() - started > IDLE_MS * 4 + 10_000) throw new Error('the pool did not shrink to zero');
    await sleep(100);
  }
  return performance.now() - started;
}

const wasm = await buildFixture('hello-js');
const cacheDir = mkdtempSync(join(tmpdir(), 'skiff-bench-density-'));
const http = new HttpServerHandler({ port: 0, router: new VirtualHostRouter() });
const host = new HostBuilder()
  .withEngine({ cacheDir })
  .withFileImageRoots(['/'])
  .withHttpHandler(http)
  .withThreads({ idleTimeoutMs: IDLE_MS })
  .build();
try {
  await host.start();
  await sleep(1500); // let the spare thread and the engine's helper threads start
  const rssEmpty = await rssMb();

  const startMs: number[] = [];
  let rssFirst = rssEmpty;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const started = performance.now();
    await host.workloadStart(hello(i, wasm));
    startMs.push(performance.now() - started);
    if (i === 0) rssFirst = await rssMb();
    if ((i + 1) % 100 === 0) process.stderr.write(`started ${i + 1}/${N}\n`);
  }
  const startAllMs = performance.now() - t0;
  const rssStarted = await rssMb();
  const threadsStarted = host.threads();

  const firstMs: number[] = [];
  for (let i = 0; i < N; i++) {
    const res = await get(http.port, `w${i}.density.test`);
    if (res.status !== 200 || !res.body.includes(EXPECT)) throw new Error(`w${i}: ${res.status} ${res.body}`);
    firstMs.push(res.ms);
  }
  const rssServed = await rssMb();
  const threadsServed = host.threads();

  const shrinkMs = await waitForNoThreads(host);
  const rssIdle = await rssMb();

  // An idle workload on a host whose pool shrank to zero: no thread, no instance.
  const coldMs: number[] = [];
  for (let s = 0; s < COLD_SAMPLES; s++) {
    await waitForNoThreads(host);
    await sleep(300); // the spare thread is started again in the background
    const i = Math.floor((s * N) / COLD_SAMPLES);
    const res = await get(http.port, `w${i}.density.test`);
    if (res.status !== 200) throw new Error(`w${i}: ${res.status}`);
    coldMs.push(res.ms);
  }

  const [first, ...rest] = startMs;
  const f = (n: number) => n.toFixed(0);
  const table = [
    `| ${N} hello JS workloads on one host | value | target |`,
    '|---|---:|---:|',
    `| RSS, empty host | ${f(rssEmpty)} MB | |`,
    `| RSS after ${N} starts | ${f(rssStarted)} MB | < 2048 MB |`,
    `| RSS after one request to every workload | ${f(rssServed)} MB | |`,
    `| RSS after the idle period (${IDLE_MS / 1000} s; pool at zero after ${(shrinkMs / 1000).toFixed(1)} s more) | ${f(rssIdle)} MB | |`,
    `| RSS after the first start (transpiled, compiled, probed once) | ${f(rssFirst)} MB | |`,
    `| RSS per further started workload | ${((rssStarted - rssFirst) / Math.max(1, N - 1)).toFixed(2)} MB | |`,
    `| start, first workload (cold: transpile + compile + probe) | ${f(first ?? 0)} ms | |`,
    `| start, each further workload: mean / p50 / p99 | ${(rest.reduce((a, b) => a + b, 0) / Math.max(1, rest.length)).toFixed(1)} / ${percentile(rest, 0.5).toFixed(1)} / ${percentile(rest, 0.99).toFixed(1)} ms | |`,
    `| all ${N} starts | ${(startAllMs / 1000).toFixed(1)} s | |`,
    `| first request to an idle workload, pool warm: p50 / p99 | ${percentile(firstMs, 0.5).toFixed(1)} / ${percentile(firstMs, 0.99).toFixed(1)} ms | ≤ 150 ms |`,
    `| first request to an idle workload, pool at zero (${COLD_SAMPLES} samples): p50 / max | ${percentile(coldMs, 0.5).toFixed(1)} / ${Math.max(...coldMs).toFixed(1)} ms | ≤ 150 ms |`,
    `| threads / warm components after the starts | ${threadsStarted.threads} / ${threadsStarted.contexts} | |`,
    `| threads / warm components after the requests | ${threadsServed.threads} / ${threadsServed.contexts} | |`,
    '',
    `One process (the host from dist/ plus this script); RSS read from the process after a main-heap GC, so it counts every thread. Requests are sequential, one per workload, each with its own Host header; the host runs with an idle timeout of ${IDLE_MS / 1000} s (default 60 s) and one spare thread.`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  await record('bench:density', table);
} finally {
  await host.stop();
  rmSync(cacheDir, { recursive: true, force: true });
}
