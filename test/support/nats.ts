/**
 * A real nats-server for tests: JetStream on, a temp store dir, a free loopback port,
 * optional user/password or token auth, or NATS operator mode (decentralised JWT accounts with
 * a `full` resolver in the store dir; `configure` renders that part of the configuration,
 * e.g. with src/nats/accounts `natsServerConfig`). Readiness is polled with a deadline (the server's
 * INFO line on a TCP connection), never slept for. `restart()` keeps the port and the store
 * dir, so tests can take NATS down in the middle of traffic and check nothing was lost.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { freePort } from './ports.js';
import { answersLine, stopChild } from './probe.js';

/** NATS_SERVER_BIN is the nats-server binary tests run (override with SKIFF_NATS_SERVER). */
export const NATS_SERVER_BIN = process.env.SKIFF_NATS_SERVER ?? findBinary();

/** NatsServerOptions configure authentication and the startup deadline. */
export interface NatsServerOptions {
  /** user and pass require user/password authentication. */
  readonly user?: string;
  readonly pass?: string;
  /** token requires token authentication. */
  readonly token?: string;
  /** nkeyUser requires nkey authentication with this user public key (U…). */
  readonly nkeyUser?: string;
  /** tls requires TLS with this server certificate and key (PEM files). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /**
   * configure returns extra configuration-file text, given the directory the server should
   * keep account JWTs in (inside the store dir, so restarts keep them): operator mode.
   */
  readonly configure?: (dirs: { readonly resolverDir: string }) => string | Promise<string>;
  /** readyTimeoutMs bounds how long start/restart wait for the server (default 15 s). */
  readonly readyTimeoutMs?: number;
}

/** TestNatsServer is a running nats-server and how to reach, stop and restart it. */
export interface TestNatsServer {
  /** url is `nats://127.0.0.1:<port>` (no credentials in it). */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** stop stops the server (if running) and removes the store dir. Idempotent. */
  stop(): Promise<void>;
  /** down stops the server but keeps the store dir, for outage tests; `up()` starts it again. */
  down(): Promise<void>;
  /** up starts a stopped server on the same port and store dir and waits until it accepts connections. */
  up(): Promise<void>;
  /** restart is `down()` then `up()`. */
  restart(): Promise<void>;
}

function findBinary(): string {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (existsSync(p)) return p;
  }
  return 'nats-server';
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** startNats starts a nats-server with JetStream and waits until it accepts connections. */
export async function startNats(options: NatsServerOptions = {}): Promise<TestNatsServer> {
  if (NATS_SERVER_BIN.startsWith('/') && !existsSync(NATS_SERVER_BIN)) {
    throw new Error(`nats-server binary not found at ${NATS_SERVER_BIN} (install Debian's nats-server package)`);
  }
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'skiff-nats-'));
  const args = ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port)];
  if (options.user !== undefined) args.push('--user', options.user, '--pass', options.pass ?? '');
  if (options.token !== undefined) args.push('--auth', options.token);
  const config: string[] = [];
  if (options.nkeyUser !== undefined) config.push(`authorization { users = [ { nkey: "${options.nkeyUser}" } ] }\n`);
  if (options.configure !== undefined) {
    const resolverDir = join(storeDir, 'accounts');
    mkdirSync(resolverDir);
    config.push(await options.configure({ resolverDir }));
  }
  if (config.length > 0) {
    const file = join(storeDir, 'server.conf');
    writeFileSync(file, config.join('\n'));
    args.push('-c', file);
  }
  if (options.tls !== undefined) args.push('--tls', '--tlscert', options.tls.certFile, '--tlskey', options.tls.keyFile);
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  let child: ChildProcess | undefined;
  let removed = false;

  const up = async () => {
    if (child) return;
    const proc = spawnServer(args);
    child = proc.child;
    try {
      await waitReady(port, readyTimeoutMs, proc);
    } catch (err) {
      await stopChild(proc.child);
      child = undefined;
      throw err;
    }
  };
  const down = async () => {
    const c = child;
    child = undefined;
    if (c) await stopChild(c);
  };
  await up();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    up,
    down,
    async restart() {
      await down();
      await up();
    },
    async stop() {
      await down();
      if (!removed) {
        removed = true;
        rmSync(storeDir, { recursive: true, force: true });
      }
    },
  };
}

/** useNats starts a server before the file's tests and stops it after; call the getter inside tests. */
export function useNats(options: NatsServerOptions = {}): () => TestNatsServer {
  let server: TestNatsServer | undefined;
  beforeAll(async () => {
    server = await startNats(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('useNats: the server is not started yet (call the getter inside a test or hook)');
    return server;
  };
}

interface Spawned {
  child: ChildProcess;
  /** output is the server's recent stderr/stdout, for error messages. */
  output: () => string;
  /** exited is set when the process exits. */
  exited: () => { code: number | null; error?: Error } | undefined;
}

function spawnServer(args: string[]): Spawned {
  const child = spawn(NATS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let exit: { code: number | null; error?: Error } | undefined;
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('error', (error) => {
    exit = { code: null, error };
    running.delete(child);
  });
  child.once('exit', (code) => {
    exit ??= { code };
    running.delete(child);
  });
  return { child, output: () => out, exited: () => exit };
}

async function waitReady(port: number, timeoutMs: number, proc: Spawned): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const exit = proc.exited();
    if (exit) {
      const why =
        exit.error && (exit.error as NodeJS.ErrnoException).code === 'ENOENT'
          ? `binary ${NATS_SERVER_BIN} not found (install Debian's nats-server package or set SKIFF_NATS_SERVER)`
          : `${NATS_SERVER_BIN} exited with code ${exit.code}${exit.error ? `: ${exit.error.message}` : ''}`;
      throw new Error(`nats-server did not start: ${why}\n${proc.output()}`);
    }
    if (await answersLine(port, 'INFO ')) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${NATS_SERVER_BIN} did not accept connections on 127.0.0.1:${port} within ${timeoutMs} ms\n${proc.output()}`,
      );
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** connectTest connects to a test server with fast, endless reconnects (for outage tests). */
export async function connectTest(
  server: TestNatsServer,
  options: Partial<NodeConnectionOptions> = {},
): Promise<NatsConnection> {
  return connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 50, ...options });
}

/** wipeJetStream deletes every stream (KV buckets and object stores included) on the server `nc` talks to. */
export async function wipeJetStream(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const names: string[] = [];
  for await (const name of jsm.streams.names()) names.push(name);
  await Promise.all(names.map((n) => jsm.streams.delete(n)));
}

/**
 * useNatsConnections gives each test fresh connections to `server()` and, after each test,
 * wipes JetStream and closes every connection it handed out, so tests start from nothing.
 */
export function useNatsConnections(server: () => TestNatsServer): () => Promise<NatsConnection> {
  const open: NatsConnection[] = [];
  afterEach(async () => {
    const conns = open.splice(0);
    if (conns[0] && !conns[0].isClosed()) await wipeJetStream(conns[0]);
    await Promise.all(conns.map((nc) => nc.close()));
  });
  return async () => {
    const nc = await connectTest(server());
    open.push(nc);
    return nc;
  };
}
