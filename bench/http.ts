/**
 * `npm run bench:http`: requests per second of the same "hello" answer from plain Node,
 * `jco serve` (JS guest), Skiff (JS guest) and Skiff (C guest), measured in one run on this
 * machine with the load generator in its own process; the same two guests on a baseline
 * build of Skiff (`BENCH_BASELINE`, default `main`; empty to skip) for a before/after in
 * the same run; the same two guests with tracing on (`OTEL_EXPORTER_OTLP_ENDPOINT` at the
 * test collector, tools/otelcol; skipped, saying so, when it is not built); then cold and
 * warm start → first response of the JS guest. Prints ratios and appends them to
 * bench/RESULTS.md.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixture } from '../tools/fixtures/build.js';
import { type Baseline, buildBaseline } from './baseline.js';
import { COLLECTOR_BIN, startCollector, type TestCollector } from '../test/support/collector.js';
import { measureStart } from './start.js';
import { freePort, groupCpuMs, load, node, record, root, startServer } from './support.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const EXPECT = 'hello from skiff';
const skiff = join(root, 'bin', 'skiff.js');
const jco = join(root, 'node_modules', '@bytecodealliance', 'jco', 'dist', 'jco.js');

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  bad: number;
  /** cpuUs is the server's CPU time per correct response (µs): steadier than req/s on a shared machine. */
  cpuUs: number;
}

async function measure(name: string, command: string, args: (port: number) => string[], env = {}): Promise<Row> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const server = await startServer(command, args(port), url, env);
  try {
    await load(url, 1, CONNECTIONS, EXPECT); // warm up
    const cpuBefore = groupCpuMs(server.child.pid!);
    const r = await load(url, SECONDS, CONNECTIONS, EXPECT);
    const cpuUs = ((groupCpuMs(server.child.pid!) - cpuBefore) * 1000) / Math.max(1, r.ok);
    process.stderr.write(
      `${name}: ${r.rps.toFixed(0)} req/s (p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.bad} bad, ${cpuUs.toFixed(0)} µs CPU each)\n`,
    );
    return { name, rps: r.rps, p50: r.p50, p99: r.p99, bad: r.bad, cpuUs };
  } finally {
    await server.stop();
  }
}

async function startToFirstResponse(wasm: string, cacheDir: string): Promise<number> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const args = [skiff, 'dev', wasm, '--port', String(port), '--metrics-port', '0', '--no-watch'];
  const server = await startServer(node, args, url, { SKIFF_CACHE: cacheDir, SKIFF_LOG_LEVEL: 'warn' });
  await server.stop();
  return server.readyMs;
}

const baselineRef = process.env.BENCH_BASELINE ?? 'main';
const baseline: Baseline | undefined = baselineRef ? buildBaseline(baselineRef) : undefined;
const helloJs = await buildFixture('hello-js');
const helloC = await buildFixture('hello-c');
const quiet = { SKIFF_LOG_LEVEL: 'warn' };
const rows: Row[] = [];
rows.push(await measure('plain Node', node, (p) => [join(root, 'bench', 'servers', 'plain.mjs'), String(p)]));
rows.push(await measure('jco serve (JS guest)', node, (p) => [jco, 'serve', helloJs, '--port', String(p)]));
const dev = (cli: string, wasm: string) => (p: number) => [
  cli,
  'dev',
  wasm,
  '--port',
  String(p),
  '--metrics-port',
  '0',
  '--no-watch',
];
// Tracing on: every request is a root server span, exported in batches to a real collector.
const collector: TestCollector | undefined = existsSync(COLLECTOR_BIN) ? await startCollector() : undefined;
if (!collector) process.stderr.write(`no collector at ${COLLECTOR_BIN} (bash tools/otelcol/build.sh): tracing rows skipped\n`);
const tracingEnv = collector ? { ...quiet, OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint } : undefined;
const skiffs: [string, (p: number) => string[], NodeJS.ProcessEnv?][] = [
  ['Skiff (JS guest)', dev(skiff, helloJs)],
  ['Skiff (C guest)', dev(skiff, helloC)],
  ...(baseline
    ? ([
        [`Skiff ${baseline.label} (JS guest)`, dev(baseline.skiff, helloJs)],
        [`Skiff ${baseline.label} (C guest)`, dev(baseline.skiff, helloC)],
      ] as [string, (p: number) => string[]][])
    : []),
  ...(tracingEnv
    ? ([
        ['Skiff traced (JS guest)', dev(skiff, helloJs), tracingEnv],
        ['Skiff traced (C guest)', dev(skiff, helloC), tracingEnv],
      ] as [string, (p: number) => string[], NodeJS.ProcessEnv][])
    : []),
];
// The Skiff servers take turns for ROUNDS rounds; each keeps its best round (other work on
// the machine only ever makes a round worse), so this build and the baseline see alike load.
const best = new Map<string, Row>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, args, env] of skiffs) {
    const r = await measure(name, node, args, env ?? quiet);
    const prev = best.get(name);
    best.set(name, prev ? { ...(r.rps > prev.rps ? r : prev), cpuUs: Math.min(r.cpuUs, prev.cpuUs) } : r);
  }
}
for (const [name] of skiffs) rows.push(best.get(name)!);
const exported = collector?.spans().length ?? 0;
await collector?.stop();

const cache = mkdtempSync(join(tmpdir(), 'skiff-bench-cache-'));
let cold: number;
let warm: number;
try {
  cold = await startToFirstResponse(helloJs, cache);
  warm = await startToFirstResponse(helloJs, cache);
} finally {
  rmSync(cache, { recursive: true, force: true });
}
const inHost = await measureStart(helloJs);

const byName = (n: string) => rows.find((r) => r.name === n)!.rps;
const cpuOf = (n: string) => rows.find((r) => r.name === n)!.cpuUs;
const jsRatio = byName('Skiff (JS guest)') / byName('jco serve (JS guest)');
const cRatio = byName('Skiff (C guest)') / byName('plain Node');
const table = [
  '| server | req/s | p50 ms | p99 ms | failed | server CPU µs/req |',
  '|---|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.bad} | ${r.cpuUs.toFixed(0)} |`,
  ),
  '',
  '| ratio | value | target |',
  '|---|---:|---:|',
  `| Skiff JS guest / jco serve | ${jsRatio.toFixed(2)}× | ≥ 4× |`,
  `| Skiff C guest / plain Node | ${cRatio.toFixed(2)}× | ≥ 0.5× |`,
  ...(baseline
    ? [
        `| Skiff JS guest, this build / ${baseline.label}, req/s | ${(byName('Skiff (JS guest)') / byName(`Skiff ${baseline.label} (JS guest)`)).toFixed(2)}× | ≥ 1× |`,
        `| Skiff C guest, this build / ${baseline.label}, req/s | ${(byName('Skiff (C guest)') / byName(`Skiff ${baseline.label} (C guest)`)).toFixed(2)}× | ≥ 1× |`,
        `| Skiff JS guest, ${baseline.label} / this build, CPU per request | ${(cpuOf(`Skiff ${baseline.label} (JS guest)`) / cpuOf('Skiff (JS guest)')).toFixed(2)}× | ≥ 1× |`,
        `| Skiff C guest, ${baseline.label} / this build, CPU per request | ${(cpuOf(`Skiff ${baseline.label} (C guest)`) / cpuOf('Skiff (C guest)')).toFixed(2)}× | ≥ 1× |`,
      ]
    : []),
  ...(tracingEnv
    ? [
        `| Skiff JS guest, traced / untraced, req/s | ${(byName('Skiff traced (JS guest)') / byName('Skiff (JS guest)')).toFixed(2)}× | |`,
        `| Skiff C guest, traced / untraced, req/s | ${(byName('Skiff traced (C guest)') / byName('Skiff (C guest)')).toFixed(2)}× | |`,
        `| Skiff JS guest, traced − untraced, CPU µs per request | ${(cpuOf('Skiff traced (JS guest)') - cpuOf('Skiff (JS guest)')).toFixed(0)} | |`,
        `| Skiff C guest, traced − untraced, CPU µs per request | ${(cpuOf('Skiff traced (C guest)') - cpuOf('Skiff (C guest)')).toFixed(0)} | |`,
      ]
    : []),
  '',
  '| JS guest: start → first response | ms | target |',
  '|---|---:|---:|',
  `| cold, running host (empty cache: transpile + compile + worker) | ${inHost.cold.toFixed(0)} | ≤ 1000 |`,
  `| warm, running host (already transpiled and compiled) | ${inHost.warm.toFixed(0)} | ≤ 100 |`,
  `| cold, running host, another host already transpiled it (shared through NATS) | ${inHost.shared.toFixed(0)} | ≤ 500 |`,
  `| cold, \`skiff dev\` process (Node start included) | ${cold.toFixed(0)} | |`,
  `| warm, \`skiff dev\` process (transpile cache on disk) | ${warm.toFixed(0)} | |`,
  '',
  `${CONNECTIONS} keep-alive connections, ${SECONDS} s per server after a 1 s warm-up; load generator in its own process. The Skiff servers took turns for ${ROUNDS} rounds: best req/s round shown, lowest CPU per request of any round.`,
  tracingEnv
    ? `Traced rows: OTEL_EXPORTER_OTLP_ENDPOINT at the test collector (tools/otelcol, its own process on the same cores), one server span per request (no traceparent sent, so each is a new sampled trace); the collector received ${exported} spans.`
    : 'Tracing rows skipped: the test collector is not built (bash tools/otelcol/build.sh).',
].join('\n');
process.stdout.write(`${table}\n`);
await record('bench:http', table);
