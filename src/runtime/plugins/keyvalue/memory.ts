/**
 * The in-memory keyvalue backend: one map per (namespace, bucket), kept for the life of the
 * backend (so buckets outlive workload restarts within one host process). Used by `skiff dev`.
 */
import { addCounter, type KeyPage, type KeyValueBackend, type KeyValueBucket } from './backend.js';

class MemoryBucket implements KeyValueBucket {
  readonly #entries = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.#entries.get(key);
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    // Own the bytes: the caller may reuse its buffer.
    this.#entries.set(key, value.slice());
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async exists(key: string): Promise<boolean> {
    return this.#entries.has(key);
  }

  async listKeys(cursor: bigint, limit: number): Promise<KeyPage> {
    // The cursor is an offset into the sorted key list; concurrent writes may shift a page.
    const keys = [...this.#entries.keys()].sort();
    const start = Number(cursor);
    const page = keys.slice(start, start + limit);
    const end = start + page.length;
    return end < keys.length ? { keys: page, next: BigInt(end) } : { keys: page };
  }

  async increment(key: string, delta: bigint): Promise<bigint> {
    // Read, add and write happen in one synchronous step, so no other call interleaves.
    const sum = addCounter(key, this.#entries.get(key), delta);
    this.#entries.set(key, new TextEncoder().encode(sum.toString()));
    return sum;
  }
}

/** MemoryKeyValueBackend keeps every bucket in process memory. */
export class MemoryKeyValueBackend implements KeyValueBackend {
  readonly #buckets = new Map<string, MemoryBucket>();

  async open(scope: string, name: string): Promise<KeyValueBucket> {
    const id = `${scope}\u0000${name}`;
    let bucket = this.#buckets.get(id);
    if (!bucket) {
      bucket = new MemoryBucket();
      this.#buckets.set(id, bucket);
    }
    return bucket;
  }
}

/** memoryKeyValueBackend returns a fresh, empty in-memory keyvalue backend. */
export function memoryKeyValueBackend(): MemoryKeyValueBackend {
  return new MemoryKeyValueBackend();
}
