/**
 * The filesystem keyvalue backend: state under a directory that survives restarts (a
 * `skiff dev` data dir or volume, a host's data directory). Layout:
 * `<root>/keyvalue/<namespace>/<bucket>/<key>`, every bucket and key name encoded with
 * encodeFileName (reversible, no path escape, no case collision). Each write goes to a
 * temporary file that is flushed and renamed over the key, so a crash never leaves a torn
 * value. A bucket keeps an in-memory index of its keys and sizes (loaded on first open) to
 * bound its bytes and list keys without reading the directory. One process must own the
 * directory: increments are atomic within it, not across processes sharing the files.
 */
import { readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_MAX_BUCKET_BYTES, DEFAULT_MAX_BUCKETS_PER_NAMESPACE, DEFAULT_MAX_VALUE_BYTES } from '../common.js';
import {
  countDirs,
  decodeFileName,
  encodeFileName,
  ensureDir,
  isMissing,
  KeyedQueue,
  removeTemps,
  StorageLimitError,
  scopeDir,
  sizesOf,
  writeFileAtomic,
} from '../files.js';
import { addCounter, type KeyPage, type KeyValueBackend, type KeyValueBucket } from './backend.js';

/** FilesystemKeyValueOptions configure the filesystem keyvalue backend. */
export interface FilesystemKeyValueOptions {
  /** root is the data directory; buckets live under `<root>/keyvalue`. */
  readonly root: string;
  /** maxBucketsPerNamespace bounds the buckets one namespace may create (default 100). */
  readonly maxBucketsPerNamespace?: number;
  /** maxBucketBytes bounds the value bytes one bucket holds (default 1 GiB). */
  readonly maxBucketBytes?: number;
  /** maxValueBytes bounds one value (default DEFAULT_MAX_VALUE_BYTES). */
  readonly maxValueBytes?: number;
  /** sync flushes each write to disk before it is renamed into place (default true). */
  readonly sync?: boolean;
}

const keyFile = (key: string) => encodeFileName('key', key);

class FilesystemBucket implements KeyValueBucket {
  readonly #dir: string;
  readonly #sizes: Map<string, number>;
  readonly #options: Required<Omit<FilesystemKeyValueOptions, 'root'>>;
  readonly #queue = new KeyedQueue();
  #bytes = 0;

  constructor(dir: string, sizes: Map<string, number>, options: Required<Omit<FilesystemKeyValueOptions, 'root'>>) {
    this.#dir = dir;
    this.#sizes = sizes;
    this.#options = options;
    for (const size of sizes.values()) this.#bytes += size;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(join(this.#dir, keyFile(key))));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  // write stores `value` under the encoded `name`, keeping the bucket within its byte bound.
  async #write(name: string, value: Uint8Array): Promise<void> {
    if (value.length > this.#options.maxValueBytes)
      throw new StorageLimitError(`the value is larger than the limit of ${this.#options.maxValueBytes} bytes`);
    const old = this.#sizes.get(name) ?? 0;
    const delta = value.length - old;
    if (this.#bytes + delta > this.#options.maxBucketBytes)
      throw new StorageLimitError(`the bucket is full (limit ${this.#options.maxBucketBytes} bytes)`);
    this.#bytes += delta; // reserved now, so concurrent writes of other keys see it
    try {
      await writeFileAtomic(this.#dir, name, [value], { sync: this.#options.sync });
      this.#sizes.set(name, value.length);
    } catch (err) {
      this.#bytes -= delta;
      throw err;
    }
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    const name = keyFile(key);
    // Own the bytes now: the caller may reuse its buffer while the write waits its turn.
    const copy = value.slice();
    return this.#queue.run(name, () => this.#write(name, copy));
  }

  async delete(key: string): Promise<void> {
    const name = keyFile(key);
    return this.#queue.run(name, async () => {
      await unlink(join(this.#dir, name)).catch((err) => {
        if (!isMissing(err)) throw err;
      });
      this.#bytes -= this.#sizes.get(name) ?? 0;
      this.#sizes.delete(name);
    });
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(join(this.#dir, keyFile(key)));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  async listKeys(cursor: bigint, limit: number): Promise<KeyPage> {
    // As in memory: the cursor is an offset into the sorted keys; concurrent writes may shift a page.
    const keys = [...this.#sizes.keys()].map((n) => decodeFileName(n)!).sort();
    const start = Number(cursor);
    const page = keys.slice(start, start + limit);
    const end = start + page.length;
    return end < keys.length ? { keys: page, next: BigInt(end) } : { keys: page };
  }

  async increment(key: string, delta: bigint): Promise<bigint> {
    const name = keyFile(key);
    // The key's queue orders this read-modify-write after every earlier write of the key.
    return this.#queue.run(name, async () => {
      const sum = addCounter(key, await this.get(key), delta);
      await this.#write(name, new TextEncoder().encode(sum.toString()));
      return sum;
    });
  }
}

/** FilesystemKeyValueBackend keeps each bucket as a directory of files under `root`. */
export class FilesystemKeyValueBackend implements KeyValueBackend {
  readonly #base: string;
  readonly #options: Required<Omit<FilesystemKeyValueOptions, 'root'>>;
  readonly #buckets = new Map<string, Promise<FilesystemBucket>>();

  constructor(options: FilesystemKeyValueOptions) {
    this.#base = join(options.root, 'keyvalue');
    this.#options = {
      maxBucketsPerNamespace: options.maxBucketsPerNamespace ?? DEFAULT_MAX_BUCKETS_PER_NAMESPACE,
      maxBucketBytes: options.maxBucketBytes ?? DEFAULT_MAX_BUCKET_BYTES,
      maxValueBytes: options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
      sync: options.sync ?? true,
    };
  }

  /** root is the directory this backend's buckets live under. */
  get root(): string {
    return this.#base;
  }

  async open(scope: string, name: string): Promise<KeyValueBucket> {
    const id = `${scope}\u0000${name}`;
    let opened = this.#buckets.get(id);
    if (!opened) {
      opened = this.#load(scope, name);
      this.#buckets.set(id, opened);
      opened.catch(() => this.#buckets.delete(id));
    }
    return opened;
  }

  async #load(scope: string, name: string): Promise<FilesystemBucket> {
    const namespaceDir = scopeDir(this.#base, scope);
    const dir = join(namespaceDir, encodeFileName('bucket name', name));
    const exists = await stat(dir).then(
      () => true,
      (err) => {
        if (isMissing(err)) return false;
        throw err;
      },
    );
    if (!exists) {
      const count = await countDirs(namespaceDir);
      const max = this.#options.maxBucketsPerNamespace;
      if (count >= max)
        throw new StorageLimitError(`this namespace already has ${count} key-value buckets (the limit is ${max})`);
      await ensureDir(dir);
    }
    await removeTemps(dir);
    return new FilesystemBucket(dir, await sizesOf(dir), this.#options);
  }

  /** close forgets the opened buckets (their files stay). */
  async close(): Promise<void> {
    this.#buckets.clear();
  }
}

/** filesystemKeyValueBackend returns a keyvalue backend storing buckets under `options.root`. */
export function filesystemKeyValueBackend(options: FilesystemKeyValueOptions): FilesystemKeyValueBackend {
  return new FilesystemKeyValueBackend(options);
}
