/**
 * Connecting to NATS: authentication (user/password, token, nkey seed, credentials file),
 * TLS, and reconnecting forever with capped exponential backoff once connected.
 */
import { readFile } from 'node:fs/promises';
import {
  type Authenticator,
  connect,
  credsAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
  nkeyAuthenticator,
  type Status,
} from '@nats-io/transport-node';
import type { Logger } from '../telemetry/logger.js';
import type { NatsSettings } from './config.js';

/** NatsConnectError means the first connection failed; the message names the server and the cause. */
export class NatsConnectError extends Error {
  override readonly name = 'NatsConnectError';
  readonly code: 'SKIFF_NATS_AUTH' | 'SKIFF_NATS_UNREACHABLE' | 'SKIFF_NATS_CONNECT';
  constructor(code: NatsConnectError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** ConnectOptions name the connection and receive its status changes. */
export interface ConnectOptions {
  /** name shows in the server's connection list (e.g. `skiff-host host-1`). */
  readonly name?: string;
  readonly logger?: Logger;
  /** maxBackoffMs caps the delay between reconnect attempts (default 5 s). */
  readonly maxBackoffMs?: number;
  /**
   * authenticator replaces the settings' credentials (a namespace account's user, ADR 0022);
   * nats.js calls it again on every reconnect, so it can hand out the newest JWT.
   */
  readonly authenticator?: Authenticator | undefined;
  /**
   * keepTryingAuth keeps reconnecting after the server refused the credentials twice (nats.js
   * gives up then): for credentials that are replaced while the connection waits, like an
   * expired namespace JWT a newer one follows.
   */
  readonly keepTryingAuth?: boolean | undefined;
}

/** reconnectDelay is the capped exponential backoff, with jitter, for reconnect attempt `n` (from 0). */
export function reconnectDelay(n: number, maxMs = 5_000, random: () => number = Math.random): number {
  const base = Math.min(maxMs, 100 * 2 ** Math.min(n, 16));
  return Math.round(base / 2 + (random() * base) / 2);
}

async function authenticator(settings: NatsSettings): Promise<Authenticator | undefined> {
  if (settings.nkeySeedFile) {
    const seed = (await readFile(settings.nkeySeedFile, 'utf8')).trim();
    return nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (settings.credsFile) return credsAuthenticator(await readFile(settings.credsFile));
  return undefined;
}

/** connectNats connects once (failing fast with a clear NatsConnectError) and reconnects forever after. */
export async function connectNats(settings: NatsSettings, options: ConnectOptions = {}): Promise<NatsConnection> {
  const servers = [...settings.servers];
  let attempt = 0;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  const opts: NodeConnectionOptions = {
    servers,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectDelayHandler: () => reconnectDelay(attempt++, maxBackoffMs),
    ...(options.keepTryingAuth ? { ignoreAuthErrorAbort: true } : {}),
    ...(settings.user !== undefined && !options.authenticator ? { user: settings.user, pass: settings.password } : {}),
    ...(settings.token !== undefined && !options.authenticator ? { token: settings.token } : {}),
  };
  try {
    const auth = options.authenticator ?? (await authenticator(settings));
    if (auth) opts.authenticator = auth;
  } catch (err) {
    throw new NatsConnectError('SKIFF_NATS_CONNECT', `cannot read NATS credentials: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (settings.tls || servers.some((s) => s.startsWith('tls://'))) opts.tls = { ...settings.tls };
  let nc: NatsConnection;
  try {
    nc = await connect(opts);
  } catch (err) {
    throw describeConnectError(err, servers, settings);
  }
  void watchStatus(nc, options.logger, () => {
    attempt = 0;
  });
  return nc;
}

/** withoutCredentials drops user:password from a server URL before it is shown anywhere. */
export function withoutCredentials(server: string): string {
  try {
    const url = new URL(server);
    if (!url.username && !url.password) return server;
    url.username = '';
    url.password = '';
    return url.href.replace(/\/$/, '');
  } catch {
    return server.replace(/\/\/[^@/]*@/, '//');
  }
}

function describeConnectError(err: unknown, servers: string[], settings: NatsSettings): NatsConnectError {
  const e = err as Error & { code?: string };
  const where = servers.map(withoutCredentials).join(',');
  const cause = (e.cause ?? {}) as { code?: string };
  const text = `${e.name} ${e.message} ${e.code ?? ''} ${cause.code ?? ''}`.toLowerCase();
  if (text.includes('authorization') || text.includes('authentication') || text.includes('auth')) {
    const how = settings.user
      ? `user "${settings.user}" and its password`
      : settings.token
        ? 'the token'
        : settings.nkeySeedFile
          ? 'the nkey seed'
          : settings.credsFile
            ? 'the credentials file'
            : 'no credentials';
    return new NatsConnectError(
      'SKIFF_NATS_AUTH',
      `NATS at ${where} refused ${how} (${e.message}); check the --nats-* credentials`,
      { cause: err },
    );
  }
  if (/econnrefused|connection refused|timeout|enotfound|eai_again|ehostunreach/.test(text)) {
    return new NatsConnectError('SKIFF_NATS_UNREACHABLE', `cannot reach NATS at ${where}: ${e.message}`, {
      cause: err,
    });
  }
  return new NatsConnectError('SKIFF_NATS_CONNECT', `cannot connect to NATS at ${where}: ${e.message}`, { cause: err });
}

async function watchStatus(nc: NatsConnection, logger: Logger | undefined, onReconnect: () => void): Promise<void> {
  for await (const s of nc.status()) {
    if (s.type === 'reconnect') onReconnect();
    if (!logger) continue;
    if (s.type === 'disconnect') logger.warn({ server: s.server }, 'NATS disconnected; reconnecting');
    else if (s.type === 'reconnect') logger.info({ server: s.server }, 'NATS reconnected');
    else if (s.type === 'error') logger.error({ err: s.error.message }, 'NATS error');
  }
}

/** ConnectionEvent is a change of a NATS connection that consumers act on. */
export type ConnectionEvent = 'disconnect' | 'reconnect';

/**
 * connectionEvents yields 'disconnect' when the connection to NATS is lost and 'reconnect'
 * when it is back, until the connection closes or `signal` aborts. (nats.js reports many more
 * status types; these two are what "is NATS up?" needs.)
 */
export async function* connectionEvents(nc: NatsConnection, signal?: AbortSignal): AsyncGenerator<ConnectionEvent> {
  // nats.js's status iterator has stop(), which also ends a pending wait; its type does not say so.
  const status = nc.status() as AsyncIterable<Status> & { stop?: () => void };
  const stop = () => status.stop?.();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    if (signal?.aborted) return;
    for await (const s of status) {
      if (s.type === 'disconnect' || s.type === 'reconnect') yield s.type;
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    stop();
  }
}
