/**
 * Shared pieces of the benchmarks: free ports, child servers, readiness with a deadline,
 * the load generator, and writing results.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../tools/testenv/ports.js';

export { freePort };

/** root is the checkout. */
export const root = join(import.meta.dirname, '..');
/** node is the Node binary running the benchmark (Node 24 from the npm package). */
export const node = process.execPath;


/** startServer spawns a server process and waits (bounded) until `url` answers 200. */
export async function startServer(
  command: string,
  args: string[],
  url: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<{ child: ChildProcess; readyMs: number; stop(): Promise<void> }> {
  const started = performance.now();
  // Its own process group, so stopping it also stops servers it spawned (jco serve does).
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode !== null) {
      signal('SIGKILL');
      return;
    }
    signal('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => {
        signal('SIGKILL');
        r(undefined);
      }, 5000);
      child.once('exit', () => {
        clearTimeout(t);
        signal('SIGKILL');
        r(undefined);
      });
    });
  };
  while (performance.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`${command} ${args.join(' ')} exited: ${stderr}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return { child, readyMs: performance.now() - started, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`${command} did not answer ${url} within ${timeoutMs} ms: ${stderr}`);
}

/**
 * groupCpuMs is the CPU time (user + system, ms) used so far by the live processes of a
 * process group (a server started by startServer leads its own group). Linux only.
 */
export function groupCpuMs(pgid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      // After "pid (comm) ": state ppid pgrp ... utime is field 14 and stime field 15 of the whole line.
      if (Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

/** percentile returns the p-th quantile (0..1) of the values (0 for none). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** LoadResult is what bench/load.mjs reports. */
export interface LoadResult {
  ok: number;
  bad: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
}

/** load runs the load generator in its own process. */
export async function load(url: string, seconds: number, connections: number, expect: string): Promise<LoadResult> {
  const { stdout } = await promisify(execFile)(
    node,
    [join(root, 'bench', 'load.mjs'), url, '--seconds', String(seconds), '--connections', String(connections), '--expect', expect],
    { timeout: (seconds + 30) * 1000 },
  );
  return JSON.parse(stdout) as LoadResult;
}

/** loadAtStart is the machine's 1-minute load average when the benchmark began. */
const loadAtStart = loadavg()[0]!;

/** machine describes where the numbers were measured, and how busy the machine was. */
export function machine(): string {
  const load = `load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end (${cpus().length} CPUs shared with other work)`;
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}; ${load}`;
}

/** record appends a dated section to bench/RESULTS.md. */
export async function record(title: string, body: string): Promise<void> {
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  await appendFile(join(root, 'bench', 'RESULTS.md'), `\n## ${title} — ${when} UTC\n\n${machine()}\n\n${body}\n`);
}

/** startNatsServer runs nats-server with JetStream on a free port (bounded wait for it to listen). */
export async function startNatsServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { connect: tcp } = await import('node:net');
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'skiff-bench-nats-'));
  const child = spawn('nats-server', ['-js', '-sd', store, '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    rmSync(store, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcp(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return { url: `nats://127.0.0.1:${port}`, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error('nats-server did not start (is the nats-server package installed?)');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
