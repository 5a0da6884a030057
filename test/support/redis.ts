/**
 * A real redis-server for tests (Debian's `redis-server` package): a free loopback port, no
 * persistence (no RDB snapshots, no AOF), its working directory a temp dir. Readiness is
 * polled with a deadline (a PING answered with PONG), never slept for. `down()`/`up()` stop
 * and restart it on the same port, for outage tests; data does not survive that.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './ports.js';
import { answersLine, stopChild } from './probe.js';

/** REDIS_SERVER_BIN is the redis-server binary tests run (override with SKIFF_REDIS_SERVER). */
export const REDIS_SERVER_BIN =
  process.env.SKIFF_REDIS_SERVER ??
  ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p)) ??
  'redis-server';

/** TestRedisServer is a running redis-server and how to reach, stop and restart it. */
export interface TestRedisServer {
  /** url is `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** down stops the server; `up()` starts it again on the same port (empty). */
  down(): Promise<void>;
  up(): Promise<void>;
  /** stop stops the server and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** startRedis starts a redis-server without persistence and waits until it answers PING. */
export async function startRedis(readyTimeoutMs = 15_000): Promise<TestRedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'skiff-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  let child: ChildProcess | undefined;
  let removed = false;
  const up = async () => {
    if (child) return;
    const proc = spawn(REDIS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.add(proc);
    let out = '';
    let exited: string | undefined;
    const keep = (b: Buffer) => {
      out = (out + b.toString()).slice(-4000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.once('error', (err) => {
      exited = err.message;
    });
    proc.once('exit', (code) => {
      exited ??= `exit code ${code}`;
      running.delete(proc);
    });
    const deadline = Date.now() + readyTimeoutMs;
    for (let delay = 10; !(await answersLine(port, '+PONG', 'PING\r\n')); delay = Math.min(delay * 2, 200)) {
      if (exited !== undefined || Date.now() > deadline) {
        await stopChild(proc, 'SIGKILL');
        child = undefined;
        throw new Error(
          `${REDIS_SERVER_BIN} did not start on 127.0.0.1:${port} (${exited ?? 'no PONG in time'}; install Debian's redis-server or set SKIFF_REDIS_SERVER)\n${out}`,
        );
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  };
  const down = async () => {
    const c = child;
    child = undefined;
    if (c) await stopChild(c, 'SIGKILL');
  };
  await up();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    up,
    down,
    async stop() {
      await down();
      if (!removed) {
        removed = true;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** useRedis starts a server before the file's tests and stops it after; call the getter inside tests. */
export function useRedis(): () => TestRedisServer {
  let server: TestRedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('useRedis: the server is not started yet (call the getter inside a test or hook)');
    return server;
  };
}
