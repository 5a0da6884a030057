/**
 * The NATS keyvalue backend: one JetStream KV bucket per (namespace, bucket identifier),
 * named `skiff_<namespace>_<identifier>` (natsBucketName), keys escaped with encodeToken so
 * any string is a valid KV key and list-keys returns the originals. `increment` is atomic
 * across hosts: read the entry, then `update` with its revision, retrying when another
 * writer got there first; within one host increments of a key are queued, so hosts only
 * race each other. See docs/adr/0006-nats-backends.md.
 */
import {
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
} from '@nats-io/jetstream';
import { type KV, type KvEntry, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  checkBucketQuota,
  checkNatsName,
  DEFAULT_MAX_BUCKET_BYTES,
  DEFAULT_MAX_BUCKETS_PER_NAMESPACE,
  DEFAULT_NATS_TIMEOUT_MS,
  decodeToken,
  encodeToken,
  natsBucketName,
  natsCall,
  natsDown,
} from '../common.js';
import { addCounter, type KeyPage, type KeyValueBackend, type KeyValueBucket } from './backend.js';

/** NatsKeyValueOptions configure the NATS keyvalue backend. */
export interface NatsKeyValueOptions {
  /** timeoutMs bounds every call (default DEFAULT_NATS_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** prefix starts every bucket name (default `skiff`). */
  readonly prefix?: string;
  /** history is how many revisions a key keeps (default 1). */
  readonly history?: number;
  /** maxBucketsPerNamespace bounds the buckets one namespace may create (default 100). */
  readonly maxBucketsPerNamespace?: number;
  /** maxBucketBytes bounds the storage of a bucket created from now on (default 1 GiB). */
  readonly maxBucketBytes?: number;
}

/** MAX_INCREMENT_ATTEMPTS bounds the optimistic-concurrency retries of one increment. */
export const MAX_INCREMENT_ATTEMPTS = 1000;

// keyOf encodes a guest key into one KV key token, refusing keys too long for NATS.
const keyOf = (key: string): string => checkNatsName('key (escaped)', encodeToken(key));

const live = (e: KvEntry | null): e is KvEntry => e !== null && e.operation === 'PUT';

function wrongLastSequence(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamWrongLastSequence) return true;
    if (/wrong last sequence|key exists/i.test(e.message)) return true;
  }
  return false;
}

class NatsBucket implements KeyValueBucket {
  readonly #kv: KV;
  readonly #call: <T>(what: string, op: () => Promise<T>) => Promise<T>;
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(kv: KV, call: <T>(what: string, op: () => Promise<T>) => Promise<T>) {
    this.#kv = kv;
    this.#call = call;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const e = await this.#call('get', () => this.#kv.get(keyOf(key)));
    return live(e) ? e.value : undefined;
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    await this.#call('set', () => this.#kv.put(keyOf(key), value.slice()));
  }

  async delete(key: string): Promise<void> {
    await this.#call('delete', () => this.#kv.delete(keyOf(key)));
  }

  async exists(key: string): Promise<boolean> {
    return live(await this.#call('exists', () => this.#kv.get(keyOf(key))));
  }

  async listKeys(cursor: bigint, limit: number): Promise<KeyPage> {
    // Like memory: the cursor is an offset into the sorted (decoded) keys.
    const keys = await this.#call('list-keys', async () => {
      const all: string[] = [];
      for await (const k of await this.#kv.keys()) all.push(decodeToken(k));
      return all.sort();
    });
    const start = Number(cursor);
    const page = keys.slice(start, start + limit);
    const end = start + page.length;
    return end < keys.length ? { keys: page, next: BigInt(end) } : { keys: page };
  }

  increment(key: string, delta: bigint): Promise<bigint> {
    const prev = this.#queues.get(key) ?? Promise.resolve();
    const next = prev.then(
      () => this.#increment(key, delta),
      () => this.#increment(key, delta),
    );
    this.#queues.set(key, next);
    const forget = () => {
      if (this.#queues.get(key) === next) this.#queues.delete(key);
    };
    next.then(forget, forget);
    return next;
  }

  async #increment(key: string, delta: bigint): Promise<bigint> {
    const k = keyOf(key);
    for (let attempt = 0; attempt < MAX_INCREMENT_ATTEMPTS; attempt++) {
      const e = await this.#call('increment', () => this.#kv.get(k));
      const sum = addCounter(key, live(e) ? e.value : undefined, delta);
      const value = new TextEncoder().encode(sum.toString());
      try {
        // A missing or deleted key is created (create checks it is still missing/deleted).
        await this.#call('increment', () =>
          live(e) ? this.#kv.update(k, value, e.revision) : this.#kv.create(k, value),
        );
        return sum;
      } catch (err) {
        if (!wrongLastSequence(err)) throw err;
      }
    }
    throw new Error(`increment of key "${key}" lost ${MAX_INCREMENT_ATTEMPTS} races in a row`);
  }
}

/** NatsKeyValueBackend stores buckets as JetStream KV buckets on one NATS connection. */
export class NatsKeyValueBackend implements KeyValueBackend {
  readonly #nc: NatsConnection;
  readonly #kvm: Kvm;
  readonly #timeoutMs: number;
  readonly #prefix: string;
  readonly #history: number;
  readonly #buckets = new Map<string, Promise<NatsBucket>>();
  readonly #jsm: Promise<JetStreamManager>;
  readonly #maxBuckets: number;
  readonly #maxBytes: number;

  constructor(nc: NatsConnection, options: NatsKeyValueOptions = {}) {
    this.#nc = nc;
    natsDown(nc); // start following the connection's status now
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_NATS_TIMEOUT_MS;
    this.#kvm = new Kvm(jetstream(nc, { timeout: this.#timeoutMs }));
    this.#prefix = options.prefix ?? 'skiff';
    this.#history = options.history ?? 1;
    this.#maxBuckets = options.maxBucketsPerNamespace ?? DEFAULT_MAX_BUCKETS_PER_NAMESPACE;
    this.#maxBytes = options.maxBucketBytes ?? DEFAULT_MAX_BUCKET_BYTES;
    this.#jsm = jetstreamManager(nc, { timeout: this.#timeoutMs, checkAPI: false });
    this.#jsm.catch(() => undefined);
  }

  // KV get/put/update/delete are requests nats.js bounds by the JetStream timeout; only
  // list-keys (a consumer) and open (several API calls) get an extra deadline.
  #call = <T>(what: string, op: () => Promise<T>): Promise<T> =>
    natsCall(this.#nc, what === 'list-keys' || what === 'open' ? this.#timeoutMs : 0, `keyvalue ${what}`, op);

  open(scope: string, name: string): Promise<KeyValueBucket> {
    const bucket = natsBucketName(this.#prefix, scope, name);
    let opened = this.#buckets.get(bucket);
    if (!opened) {
      opened = this.#call('open', async () => {
        const namespacePrefix = `KV_${natsBucketName(this.#prefix, scope, '')}`;
        await checkBucketQuota(await this.#jsm, `KV_${bucket}`, namespacePrefix, this.#maxBuckets, 'key-value buckets');
        return this.#kvm.create(bucket, {
          history: this.#history,
          timeout: this.#timeoutMs,
          max_bytes: this.#maxBytes,
        });
      }).then((kv) => new NatsBucket(kv, this.#call));
      this.#buckets.set(bucket, opened);
      // A failed open (e.g. during an outage) is retried by the next open.
      opened.catch(() => this.#buckets.delete(bucket));
    }
    return opened;
  }

  /** close forgets opened buckets; the connection belongs to the caller. */
  async close(): Promise<void> {
    this.#buckets.clear();
  }
}

/** natsKeyValueBackend returns a keyvalue backend on JetStream KV over `nc`. */
export function natsKeyValueBackend(nc: NatsConnection, options?: NatsKeyValueOptions): NatsKeyValueBackend {
  return new NatsKeyValueBackend(nc, options);
}
