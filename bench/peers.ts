/**
 * `npm run bench:peers` (not in CI): the hello JS guest and the hello C guest served by
 * Skiff (`skiff dev`), `wasmtime serve`, a wasmCloud v2 host (the wash-runtime library,
 * bench/peers/wash-host) and, for the JS guest, `jco serve` — one run, the same load
 * generator (bench/load.mjs): req/s, p50/p99, server CPU per request, RSS of the server's
 * process group after the load, and start → first response with empty caches.
 * wasmtime-cli and the wash host are built from crates.io into
 * `${SKIFF_CACHE:-~/.cache/skiff}/peers` the first time (nice'd; ~15–30 min on 2 cores),
 * then reused. `--build-only` just builds them. A tool that cannot be built is skipped,
 * and the table says so.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixture } from '../tools/fixtures/build.js';
import { freePort, groupCpuMs, load, node, record, root, startServer } from './support.js';

const WASMTIME_VERSION = process.env.BENCH_WASMTIME_VERSION ?? '48.0.8';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const EXPECT = 'hello from skiff';
const cache = join(process.env.SKIFF_CACHE ?? join(homedir(), '.cache', 'skiff'), 'peers');
const skiff = join(root, 'bin', 'skiff.js');
const jco = join(root, 'node_modules', '@bytecodealliance', 'jco', 'dist', 'jco.js');
const washCrate = join(root, 'bench', 'peers', 'wash-host');

/** cargo runs cargo at the lowest priority (others share the machine) and says whether it succeeded. */
function cargo(args: string[], env: NodeJS.ProcessEnv = {}): boolean {
  process.stderr.write(`peers: cargo ${args.join(' ')}\n`);
  const r = spawnSync('nice', ['-n', '19', 'cargo', ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CARGO_BUILD_JOBS: process.env.CARGO_BUILD_JOBS ?? '2', ...env },
  });
  return r.status === 0;
}

/** buildWasmtime installs wasmtime-cli once per version; undefined if it cannot be built here. */
function buildWasmtime(): string | undefined {
  const dir = join(cache, `wasmtime-${WASMTIME_VERSION}`);
  const bin = join(dir, 'bin', 'wasmtime');
  if (existsSync(bin)) return bin;
  const ok = cargo(['install', 'wasmtime-cli', '--version', WASMTIME_VERSION, '--locked', '--root', dir], {
    CARGO_TARGET_DIR: join(cache, 'target-wasmtime'),
  });
  return ok && existsSync(bin) ? bin : undefined;
}

/** buildWashHost builds bench/peers/wash-host once per source version; undefined if it cannot be built here. */
function buildWashHost(): string | undefined {
  const sources = ['Cargo.toml', 'Cargo.lock', join('src', 'main.rs')]
    .filter((f) => existsSync(join(washCrate, f)))
    .map((f) => readFileSync(join(washCrate, f), 'utf8'))
    .join('\0');
  const hash = simpleHash(sources);
  const bin = join(cache, `wash-bench-host-${hash}`, 'wash-bench-host');
  if (existsSync(bin)) return bin;
  const target = join(cache, 'target-wash');
  const locked = existsSync(join(washCrate, 'Cargo.lock')) ? ['--locked'] : [];
  if (
    !cargo(['build', '--release', ...locked, '--manifest-path', join(washCrate, 'Cargo.toml')], {
      CARGO_TARGET_DIR: target,
    })
  ) {
    return undefined;
  }
  mkdirSync(join(bin, '..'), { recursive: true });
  copyFileSync(join(target, 'release', 'wash-bench-host'), bin);
  return bin;
}

function simpleHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16);
}

/** groupRssMb sums the resident memory of the live processes of a process group (Linux). */
function groupRssMb(pgid: number): number {
  let kb = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(stat[2]) !== pgid) continue;
      const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      kb += Number(rss?.[1] ?? 0);
    } catch {
      // ended meanwhile
    }
  }
  return kb / 1024;
}

interface Row {
  server: string;
  guest: string;
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
  rssMb: number;
  startMs: number;
}

async function measure(
  server: string,
  guest: string,
  command: string,
  args: (port: number) => string[],
  env = {},
): Promise<Row> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const s = await startServer(command, args(port), url, env);
  try {
    await load(url, 1, CONNECTIONS, EXPECT);
    const cpu0 = groupCpuMs(s.child.pid!);
    const r = await load(url, SECONDS, CONNECTIONS, EXPECT);
    const cpuUs = ((groupCpuMs(s.child.pid!) - cpu0) * 1000) / Math.max(1, r.ok);
    const rssMb = groupRssMb(s.child.pid!);
    process.stderr.write(
      `${server} / ${guest}: ${r.rps.toFixed(0)} req/s, ${cpuUs.toFixed(0)} µs CPU each, ${rssMb.toFixed(0)} MB\n`,
    );
    if (r.bad > 0) process.stderr.write(`  ${r.bad} bad responses\n`);
    return { server, guest, rps: r.rps, p50: r.p50, p99: r.p99, cpuUs, rssMb, startMs: s.readyMs };
  } finally {
    await s.stop();
  }
}

const buildOnly = process.argv.includes('--build-only');
const wasmtime = buildWasmtime();
const wash = buildWashHost();
if (buildOnly) {
  process.stdout.write(`wasmtime: ${wasmtime ?? 'not built'}\nwash host: ${wash ?? 'not built'}\n`);
  process.exit(wasmtime && wash ? 0 : 1);
}

const guests = { 'hello-js': await buildFixture('hello-js'), 'hello-c': await buildFixture('hello-c') };
const rows: Row[] = [];
const skipped: string[] = [];
if (!wasmtime) skipped.push(`wasmtime-cli ${WASMTIME_VERSION} could not be built here`);
if (!wash) skipped.push('the wash-runtime host could not be built here');
skipped.push('the Rust hello guest (needs the wasm32-wasip2 target; not installed by this benchmark)');
for (const [guest, wasm] of Object.entries(guests)) {
  // Empty caches, so every server's start includes its compile (Skiff: transpile + compile).
  const skiffCache = mkdtempSync(join(tmpdir(), 'skiff-peers-cache-'));
  try {
    rows.push(
      await measure(
        'Skiff',
        guest,
        node,
        (p) => [skiff, 'dev', wasm, '--port', String(p), '--metrics-port', '0', '--no-watch'],
        {
          SKIFF_CACHE: skiffCache,
          SKIFF_LOG_LEVEL: 'warn',
        },
      ),
    );
  } finally {
    rmSync(skiffCache, { recursive: true, force: true });
  }
  if (wasmtime) {
    rows.push(
      await measure(`wasmtime serve ${WASMTIME_VERSION}`, guest, wasmtime, (p) => [
        'serve',
        '-S',
        'cli=y',
        '--addr',
        `127.0.0.1:${p}`,
        wasm,
      ]),
    );
  }
  if (wash) rows.push(await measure('wash-runtime 0.1.0', guest, wash, (p) => [wasm, `127.0.0.1:${p}`]));
  if (guest === 'hello-js')
    rows.push(await measure('jco serve', guest, node, (p) => [jco, 'serve', wasm, '--port', String(p)]));
}

const ratio = (guest: string, peer: string) => {
  const ours = rows.find((r) => r.guest === guest && r.server === 'Skiff');
  const theirs = rows.find((r) => r.guest === guest && r.server.startsWith(peer));
  return ours && theirs ? `${(ours.rps / theirs.rps).toFixed(2)}×` : 'not measured';
};
const table = [
  '| guest | server | req/s | p50 ms | p99 ms | server CPU µs/req | RSS MB after load | start → first response ms |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.guest} | ${r.server} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.cpuUs.toFixed(0)} | ${r.rssMb.toFixed(0)} | ${r.startMs.toFixed(0)} |`,
  ),
  '',
  '| req/s ratio | value | target |',
  '|---|---:|---:|',
  `| Skiff / wasmtime serve, JS guest | ${ratio('hello-js', 'wasmtime')} | ≥ 1.0× |`,
  `| Skiff / wash-runtime, JS guest | ${ratio('hello-js', 'wash')} | ≥ 1.0× |`,
  `| Skiff / wasmtime serve, C guest | ${ratio('hello-c', 'wasmtime')} | |`,
  `| Skiff / wash-runtime, C guest | ${ratio('hello-c', 'wash')} | |`,
  '',
  `${CONNECTIONS} keep-alive connections, ${SECONDS} s per server after a 1 s warm-up; load generator in its own process; every server started with empty caches. Not measured: ${skipped.join('; ')}.`,
].join('\n');
process.stdout.write(`${table}\n`);
await record('bench:peers', table);
