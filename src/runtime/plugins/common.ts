/**
 * Helpers every capability plugin uses: turning backend failures into WIT error values,
 * guarding a binding after it closed, and scoping data to a workload's namespace; for the
 * NATS backends, bounded calls that fail fast during an outage and reversible name encodings
 * (docs/adr/0006-nats-backends.md).
 */
import type { BindContext } from '../plugin.js';

/** messageOf returns a readable message for any thrown value. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : String(err);
}

/** CLOSED_MESSAGE is the error text a guest sees when it calls a binding after its workload stopped. */
export const CLOSED_MESSAGE = 'the workload is stopping; the capability is closed';

/**
 * Lifecycle tracks whether a binding is still open; calls after `close` (or after the
 * workload's signal aborts) fail with a WIT error value instead of reaching the backend.
 */
export class Lifecycle {
  #closed = false;
  readonly #signal: AbortSignal;

  constructor(signal: AbortSignal) {
    this.#signal = signal;
  }

  /** closed tells whether the binding was closed or its workload stopped. */
  get closed(): boolean {
    return this.#closed || this.#signal.aborted;
  }

  /** close marks the binding closed. */
  close(): void {
    this.#closed = true;
  }
}

/** scopeOf returns the data scope of a binding: the workload's namespace. */
export function scopeOf(ctx: BindContext): string {
  return ctx.workload.namespace;
}

/** only keeps the entries of a fragment whose interface was granted. */
export function only(
  ctx: BindContext,
  fragment: Record<string, Record<string, unknown>>,
): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(fragment).filter(([iface]) => ctx.interfaces.has(iface)));
}

/** NatsUnavailableError means a NATS-backed call could not reach NATS (disconnected, closed or timed out). */
export class NatsUnavailableError extends Error {
  override readonly name = 'NatsUnavailableError';
  readonly code = 'SKIFF_NATS_UNAVAILABLE';
}

/** DEFAULT_NATS_TIMEOUT_MS bounds every NATS-backed plugin call unless a backend is told otherwise. */
export const DEFAULT_NATS_TIMEOUT_MS = 2_000;

/** NatsLink is the slice of a NATS connection the guard needs. */
export interface NatsLink {
  isClosed(): boolean;
  status(): AsyncIterable<{ type: string }>;
}

const linkStates = new WeakMap<NatsLink, { down: boolean }>();

/** natsDown tells whether `nc` is closed or currently reconnecting (watched once per connection). */
export function natsDown(nc: NatsLink): boolean {
  let state = linkStates.get(nc);
  if (!state) {
    const s = { down: false };
    state = s;
    linkStates.set(nc, s);
    void (async () => {
      for await (const st of nc.status()) {
        if (st.type === 'disconnect' || st.type === 'reconnecting') s.down = true;
        else if (st.type === 'reconnect') s.down = false;
      }
    })().catch(() => undefined);
  }
  return state.down || nc.isClosed();
}

/**
 * natsCall runs `op` against NATS with a deadline: it fails at once with NatsUnavailableError
 * while the connection is down, and after `timeoutMs` if NATS does not answer, so a guest
 * gets its WIT error promptly instead of hanging during an outage. Operations that nats.js
 * already bounds by the same timeout (requests, JetStream API calls, KV get/put) pass
 * `timeoutMs: 0` to skip the extra timer on the hot path.
 */
export async function natsCall<T>(nc: NatsLink, timeoutMs: number, what: string, op: () => Promise<T>): Promise<T> {
  if (natsDown(nc)) throw new NatsUnavailableError(`${what}: NATS is unavailable (reconnecting)`);
  if (timeoutMs <= 0) return op();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new NatsUnavailableError(`${what}: NATS did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([op(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * encodeToken turns any string into one NATS subject/KV-key token, reversibly: ASCII
 * letters, digits, `-` and `_` stay, every other UTF-8 byte becomes `=XX` (upper-case hex),
 * and the empty string becomes `=`. decodeToken reverses it.
 */
export function encodeToken(s: string): string {
  if (s === '') return '=';
  if (PLAIN_TOKEN.test(s)) return s;
  let out = '';
  for (const byte of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const PLAIN_TOKEN = /^[A-Za-z0-9_-]+$/;

/** decodeToken reverses encodeToken. */
export function decodeToken(token: string): string {
  if (token === '=') return '';
  if (PLAIN_TOKEN.test(token)) return token;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === '=') {
      bytes.push(Number.parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(token.charCodeAt(i));
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/**
 * MAX_NATS_NAME bounds a guest-chosen subject, reply subject, encoded KV key or object name.
 * nats-server closes a connection whose protocol line exceeds `max_control_line` (4 KiB by
 * default), which would cut every workload of the host off NATS; so longer names are refused
 * with a WIT error before they reach the connection.
 */
export const MAX_NATS_NAME = 1024;

/** MAX_STREAM_NAME bounds a bucket's stream name (it becomes a directory name in the JetStream store). */
export const MAX_STREAM_NAME = 240;

/** checkNatsName throws when `value` (a subject, key or object name) is longer than MAX_NATS_NAME bytes. */
export function checkNatsName(what: string, value: string): string {
  const length = Buffer.byteLength(value);
  if (length > MAX_NATS_NAME)
    throw new Error(`${what} is too long for NATS (${length} bytes, at most ${MAX_NATS_NAME})`);
  return value;
}

/** NAMESPACE_NAME is what a scope must look like to name NATS buckets (a Kubernetes namespace). */
export const NAMESPACE_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * natsBucketName names the JetStream bucket (KV or object store) of `name` in namespace
 * `scope`: `<prefix>_<scope>_<name>`, with `name` escaped like encodeToken but using `_` as
 * the escape character (bucket names allow only `[A-Za-z0-9_-]`). Namespaces never contain
 * `_`, so the first `_` after the prefix ends the namespace and the mapping is reversible.
 */
export function natsBucketName(prefix: string, scope: string, name: string): string {
  if (!NAMESPACE_NAME.test(scope)) throw new Error(`namespace "${scope}" is not a valid Kubernetes namespace name`);
  let out = '';
  for (const byte of new TextEncoder().encode(name)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(c) ? c : `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  const bucket = `${prefix}_${scope}_${out}`;
  if (bucket.length + 4 > MAX_STREAM_NAME)
    throw new Error(`name "${name.slice(0, 40)}…" is too long for a NATS bucket`);
  return bucket;
}

/** DEFAULT_MAX_BUCKETS_PER_NAMESPACE bounds how many NATS buckets (or object stores) one namespace may create. */
export const DEFAULT_MAX_BUCKETS_PER_NAMESPACE = 100;
/** DEFAULT_MAX_VALUE_BYTES bounds one keyvalue value on the filesystem and Redis backends (1 MiB, NATS's default max_payload). */
export const DEFAULT_MAX_VALUE_BYTES = 1 << 20;
/** DEFAULT_MAX_BUCKET_BYTES bounds the storage of one NATS bucket or object store (1 GiB). */
export const DEFAULT_MAX_BUCKET_BYTES = 2 ** 30;

/**
 * checkBucketQuota lets a namespace create the stream `stream` only while it has fewer than
 * `max` streams starting with `namespacePrefix` (guests share one JetStream). An existing
 * stream always passes.
 */
export async function checkBucketQuota(
  jsm: { streams: { info(name: string): Promise<unknown>; names(): AsyncIterable<string> } },
  stream: string,
  namespacePrefix: string,
  max: number,
  what: string,
): Promise<void> {
  try {
    await jsm.streams.info(stream);
    return;
  } catch (err) {
    if (!/stream not found/i.test((err as Error).message)) throw err;
  }
  let count = 0;
  for await (const name of jsm.streams.names()) if (name.startsWith(namespacePrefix)) count++;
  if (count >= max) throw new Error(`this namespace already has ${count} ${what} (the limit is ${max})`);
}
