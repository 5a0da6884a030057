/**
 * The Redis keyvalue backend: one Redis hash per (namespace, bucket) at
 * `<prefix>:kv:<namespace>:<bucket>` (namespaces and bucket identifiers contain no `:`),
 * guest keys as hash fields (binary-safe, any string), values as field values. Each write
 * is one Lua script that also enforces the bounds atomically: buckets per namespace (a set
 * at `<prefix>:buckets:<namespace>`), value bytes per bucket (a counter at
 * `<prefix>:bytes:<namespace>:<bucket>`). Counters use HINCRBY, so they are signed 64-bit
 * in Redis; a value that is not an integer, or a sum past 2^63-1, is `other`. While Redis is
 * unreachable every call fails at once or at `timeoutMs` with RedisUnavailableError (the
 * offline queue is off), never hangs; the client reconnects by itself.
 */
import { createClient, ErrorReply, RESP_TYPES } from 'redis';
import {
  DEFAULT_MAX_BUCKET_BYTES,
  DEFAULT_MAX_BUCKETS_PER_NAMESPACE,
  DEFAULT_MAX_VALUE_BYTES,
  NAMESPACE_NAME,
} from '../common.js';
import { type KeyPage, type KeyValueBackend, type KeyValueBucket, KeyValueValueError } from './backend.js';

/** DEFAULT_REDIS_TIMEOUT_MS bounds every Redis call unless the backend is told otherwise. */
export const DEFAULT_REDIS_TIMEOUT_MS = 2_000;

/** MAX_REDIS_KEY bounds a guest key in bytes (Redis allows more; a bound keeps one call small). */
export const MAX_REDIS_KEY = 1024;

/** RedisUnavailableError means a Redis-backed call could not reach Redis (disconnected or timed out). */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  readonly code = 'SKIFF_REDIS_UNAVAILABLE';
}

/** RedisKeyValueOptions configure the Redis keyvalue backend. */
export interface RedisKeyValueOptions {
  /** url is the server, `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS). */
  readonly url: string;
  /** timeoutMs bounds every call (default DEFAULT_REDIS_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** prefix starts every Redis key (default `skiff`). */
  readonly prefix?: string;
  /** maxBucketsPerNamespace bounds the buckets one namespace may create (default 100). */
  readonly maxBucketsPerNamespace?: number;
  /** maxBucketBytes bounds the value bytes one bucket holds (default 1 GiB). */
  readonly maxBucketBytes?: number;
  /** maxValueBytes bounds one value (default DEFAULT_MAX_VALUE_BYTES). */
  readonly maxValueBytes?: number;
  /** onError hears connection errors (the client reconnects by itself); they are dropped without it. */
  readonly onError?: (err: Error) => void;
}

// KEYS[1] the namespace's bucket set; ARGV: bucket, max buckets.
const OPEN = `if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
local n = redis.call('SCARD', KEYS[1])
if n >= tonumber(ARGV[2]) then return redis.error_reply('LIMIT this namespace already has ' .. n .. ' key-value buckets (the limit is ' .. ARGV[2] .. ')') end
redis.call('SADD', KEYS[1], ARGV[1])
return 1`;

// KEYS[1] hash, KEYS[2] byte counter; ARGV: field, value, max bytes.
const SET = `local old = redis.call('HSTRLEN', KEYS[1], ARGV[1])
local total = tonumber(redis.call('GET', KEYS[2]) or '0') - old + #ARGV[2]
if total > tonumber(ARGV[3]) then return redis.error_reply('LIMIT the bucket is full (limit ' .. ARGV[3] .. ' bytes)') end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], total)
return 1`;

// KEYS[1] hash, KEYS[2] byte counter; ARGV: field.
const DELETE = `local old = redis.call('HSTRLEN', KEYS[1], ARGV[1])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then redis.call('DECRBY', KEYS[2], old) end
return 1`;

// KEYS[1] hash, KEYS[2] byte counter; ARGV: field, delta, max bytes. Returns the sum as a string (no float rounding).
const INCREMENT = `local old = redis.call('HSTRLEN', KEYS[1], ARGV[1])
local sum = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
local total = tonumber(redis.call('GET', KEYS[2]) or '0') - old + string.len(tostring(sum))
if total > tonumber(ARGV[3]) then
  redis.call('HINCRBY', KEYS[1], ARGV[1], '-' .. ARGV[2])
  return redis.error_reply('LIMIT the bucket is full (limit ' .. ARGV[3] .. ' bytes)')
end
redis.call('SET', KEYS[2], total)
return tostring(sum)`;

const I64_MAX = (1n << 63n) - 1n;
const BUFFERS = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };

type Client = ReturnType<typeof createClient>;
type Call = <T>(what: string, args: string[] | (string | Buffer)[]) => Promise<T>;

function checkKey(key: string): string {
  const length = Buffer.byteLength(key);
  if (length > MAX_REDIS_KEY) throw new Error(`key is too long (${length} bytes, at most ${MAX_REDIS_KEY})`);
  return key;
}

class RedisBucket implements KeyValueBucket {
  readonly #hash: string;
  readonly #bytes: string;
  readonly #call: Call;
  readonly #maxBytes: string;
  readonly #maxValue: number;

  constructor(hash: string, bytes: string, call: Call, maxBytes: number, maxValue: number) {
    this.#hash = hash;
    this.#bytes = bytes;
    this.#call = call;
    this.#maxBytes = String(maxBytes);
    this.#maxValue = maxValue;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const v = await this.#call<Buffer | null>('get', ['HGET', this.#hash, checkKey(key)]);
    return v === null ? undefined : new Uint8Array(v.buffer, v.byteOffset, v.length);
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    if (value.length > this.#maxValue) throw new Error(`the value is larger than the limit of ${this.#maxValue} bytes`);
    const data = Buffer.from(value); // a copy: the caller may reuse its buffer
    await this.#call('set', ['EVAL', SET, '2', this.#hash, this.#bytes, checkKey(key), data, this.#maxBytes]);
  }

  async delete(key: string): Promise<void> {
    await this.#call('delete', ['EVAL', DELETE, '2', this.#hash, this.#bytes, checkKey(key)]);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.#call<number>('exists', ['HEXISTS', this.#hash, checkKey(key)])) === 1;
  }

  async listKeys(cursor: bigint, limit: number): Promise<KeyPage> {
    // As in memory: the cursor is an offset into the sorted keys; concurrent writes may shift a page.
    const fields = await this.#call<Buffer[]>('list-keys', ['HKEYS', this.#hash]);
    const keys = fields.map((f) => f.toString('utf8')).sort();
    const start = Number(cursor);
    const page = keys.slice(start, start + limit);
    const end = start + page.length;
    return end < keys.length ? { keys: page, next: BigInt(end) } : { keys: page };
  }

  async increment(key: string, delta: bigint): Promise<bigint> {
    if (delta > I64_MAX) throw new KeyValueValueError(`incrementing key "${key}" overflows a Redis counter`);
    const args = ['EVAL', INCREMENT, '2', this.#hash, this.#bytes, checkKey(key), delta.toString(), this.#maxBytes];
    try {
      return BigInt((await this.#call<Buffer>('increment', args)).toString());
    } catch (err) {
      if (/not an integer|overflow/i.test((err as Error).message))
        throw new KeyValueValueError(`value of key "${key}" cannot be incremented: ${(err as Error).message}`);
      throw err;
    }
  }
}

/** RedisKeyValueBackend stores buckets as Redis hashes on one client connection it owns. */
export class RedisKeyValueBackend implements KeyValueBackend {
  readonly #client: Client;
  readonly #timeoutMs: number;
  readonly #prefix: string;
  readonly #maxBuckets: string;
  readonly #maxBytes: number;
  readonly #maxValue: number;
  readonly #connected: Promise<unknown>;
  #closed = false;
  #everReady = false;

  constructor(options: RedisKeyValueOptions) {
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
    this.#prefix = options.prefix ?? 'skiff';
    this.#maxBuckets = String(options.maxBucketsPerNamespace ?? DEFAULT_MAX_BUCKETS_PER_NAMESPACE);
    this.#maxBytes = options.maxBucketBytes ?? DEFAULT_MAX_BUCKET_BYTES;
    this.#maxValue = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.#client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      commandOptions: { timeout: this.#timeoutMs },
      socket: {
        connectTimeout: this.#timeoutMs,
        reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2_000),
      },
    });
    this.#client.on('error', (err: Error) => options.onError?.(err));
    // Connect in the background: a host starts while Redis is down, and calls fail until it is up.
    this.#connected = this.#client.connect().catch((err: Error) => options.onError?.(err));
  }

  // firstConnect waits (at most `timeoutMs`) for the first connection of a new backend; after
  // that, a call made while Redis is down fails at once.
  async #firstConnect(what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise((resolve) => {
      timer = setTimeout(resolve, this.#timeoutMs);
    });
    await Promise.race([this.#connected, deadline]).finally(() => clearTimeout(timer));
    if (!this.#client.isReady)
      throw new RedisUnavailableError(`keyvalue ${what}: Redis did not answer within ${this.#timeoutMs} ms`);
  }

  /** ready tells whether the client is connected now. */
  get ready(): boolean {
    return this.#client.isReady;
  }

  #call: Call = async <T>(what: string, args: (string | Buffer)[]): Promise<T> => {
    if (this.#closed) throw new RedisUnavailableError(`keyvalue ${what}: the Redis backend is closed`);
    if (!this.#client.isReady) {
      if (this.#everReady) throw new RedisUnavailableError(`keyvalue ${what}: Redis is unavailable (reconnecting)`);
      await this.#firstConnect(what);
    }
    this.#everReady = true;
    try {
      return await this.#client.sendCommand<T>(args, BUFFERS);
    } catch (err) {
      // A reply error is Redis refusing the command (a bound, a non-integer): the guest sees its text.
      if (err instanceof ErrorReply) {
        throw new Error(err.message.replace(/^(ERR )?(LIMIT )?/, '').replace(/ script: .*$/s, ''));
      }
      const e = err as Error;
      throw new RedisUnavailableError(`keyvalue ${what}: Redis is unavailable (${e.message})`, { cause: err });
    }
  };

  async open(scope: string, name: string): Promise<KeyValueBucket> {
    if (!NAMESPACE_NAME.test(scope)) throw new Error(`namespace "${scope}" is not a valid Kubernetes namespace name`);
    // No `:` in a bucket name, so `<prefix>:kv:<namespace>:<bucket>` never collides (the plugin allows less still).
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new Error(`bucket name "${name.slice(0, 64)}" is not allowed`);
    const p = this.#prefix;
    await this.#call('open', ['EVAL', OPEN, '1', `${p}:buckets:${scope}`, name, this.#maxBuckets]);
    return new RedisBucket(
      `${p}:kv:${scope}:${name}`,
      `${p}:bytes:${scope}:${name}`,
      this.#call,
      this.#maxBytes,
      this.#maxValue,
    );
  }

  /** close disconnects the client this backend owns. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.destroy();
  }
}

/** redisKeyValueBackend returns a keyvalue backend on the Redis server at `options.url`. */
export function redisKeyValueBackend(options: RedisKeyValueOptions): RedisKeyValueBackend {
  return new RedisKeyValueBackend(options);
}
