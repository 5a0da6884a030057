/**
 * The NATS blobstore backend: each container is a JetStream Object Store named
 * `skiff_<namespace>_<container>` (natsBucketName, escaped with `_XX`), so objects of any
 * size stream through it in chunks (nats.js splits puts into 128 KiB messages). Reads hand
 * the plugin an async iterable over the object's stream, cut to the requested range.
 * Creation times come from the stream (containers) and the object's mtime (objects).
 */
import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type ObjectInfo as NatsObjectInfo, type ObjectStore, Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  checkBucketQuota,
  checkNatsName,
  DEFAULT_MAX_BUCKET_BYTES,
  DEFAULT_MAX_BUCKETS_PER_NAMESPACE,
  DEFAULT_NATS_TIMEOUT_MS,
  natsBucketName,
  natsCall,
  natsDown,
} from '../common.js';
import type { BlobstoreBackend, Chunks, ContainerInfo, ObjectInfo, ObjectRange, ObjectRef } from './backend.js';

/** NatsBlobstoreOptions configure the NATS blobstore backend. */
export interface NatsBlobstoreOptions {
  /** timeoutMs bounds every metadata call and each JetStream request of a transfer (default DEFAULT_NATS_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** prefix starts every object store name (default `skiff`). */
  readonly prefix?: string;
  /** maxContainersPerNamespace bounds the containers one namespace may create (default 100). */
  readonly maxContainersPerNamespace?: number;
  /** maxContainerBytes bounds the storage of a container created from now on (default 1 GiB). */
  readonly maxContainerBytes?: number;
}

const seconds = (iso: string | undefined): bigint => BigInt(Math.floor(Date.parse(iso ?? '') / 1000) || 0);
const objectName = (name: string): string => checkNatsName('object name', name);
const live = (o: NatsObjectInfo | null): o is NatsObjectInfo => o !== null && !o.deleted;

// range cuts `data` to bytes start..last (inclusive) and cancels the rest of the stream.
async function* range(data: ReadableStream<Uint8Array>, error: Promise<Error | null>, start: number, last: number) {
  const reader = data.getReader();
  let offset = 0;
  try {
    while (offset <= last) {
      const { done, value } = await reader.read();
      if (done) {
        // The whole object was read: nats.js reports a digest mismatch or a lost chunk here.
        const err = await error;
        if (err) throw err;
        break;
      }
      const from = Math.max(0, start - offset);
      const to = Math.min(value.length, last + 1 - offset);
      if (from < to) yield value.subarray(from, to);
      offset += value.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

// streamOf adapts the plugin's chunks to the ReadableStream nats.js puts from.
function streamOf(chunks: Chunks): ReadableStream<Uint8Array> {
  const it =
    Symbol.asyncIterator in chunks
      ? chunks[Symbol.asyncIterator]()
      : (chunks as Iterable<Uint8Array>)[Symbol.iterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await it.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
  });
}

/** NatsBlobstoreBackend keeps containers as JetStream Object Stores on one NATS connection. */
export class NatsBlobstoreBackend implements BlobstoreBackend {
  readonly #nc: NatsConnection;
  readonly #objm: Objm;
  readonly #jsm: Promise<JetStreamManager>;
  readonly #timeoutMs: number;
  readonly #prefix: string;
  readonly #maxContainers: number;
  readonly #maxBytes: number;

  constructor(nc: NatsConnection, options: NatsBlobstoreOptions = {}) {
    this.#nc = nc;
    natsDown(nc); // start following the connection's status now
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_NATS_TIMEOUT_MS;
    this.#prefix = options.prefix ?? 'skiff';
    this.#maxContainers = options.maxContainersPerNamespace ?? DEFAULT_MAX_BUCKETS_PER_NAMESPACE;
    this.#maxBytes = options.maxContainerBytes ?? DEFAULT_MAX_BUCKET_BYTES;
    this.#objm = new Objm(jetstream(nc, { timeout: this.#timeoutMs }));
    this.#jsm = jetstreamManager(nc, { timeout: this.#timeoutMs, checkAPI: false });
    this.#jsm.catch(() => undefined);
  }

  // call bounds metadata calls; transfers (`bounded: false`) rely on nats.js's per-request timeouts.
  #call<T>(what: string, op: () => Promise<T>, bounded = true): Promise<T> {
    return natsCall(this.#nc, bounded ? this.#timeoutMs : 0, `blobstore ${what}`, op);
  }

  #bucket(scope: string, container: string): string {
    return natsBucketName(this.#prefix, scope, container);
  }

  async #store(scope: string, container: string): Promise<ObjectStore> {
    if (!(await this.containerInfo(scope, container))) throw new Error(`container "${container}" does not exist`);
    return this.#objm.open(this.#bucket(scope, container), false);
  }

  async createContainer(scope: string, name: string): Promise<ContainerInfo> {
    if (await this.containerInfo(scope, name)) throw new Error(`container "${name}" already exists`);
    const bucket = this.#bucket(scope, name);
    await this.#call('create-container', async () => {
      const namespacePrefix = `OBJ_${natsBucketName(this.#prefix, scope, '')}`;
      await checkBucketQuota(await this.#jsm, `OBJ_${bucket}`, namespacePrefix, this.#maxContainers, 'containers');
      return this.#objm.create(bucket, { max_bytes: this.#maxBytes });
    });
    const info = await this.containerInfo(scope, name);
    if (!info) throw new Error(`container "${name}" vanished right after it was created`);
    return info;
  }

  containerInfo(scope: string, name: string): Promise<ContainerInfo | undefined> {
    const stream = `OBJ_${this.#bucket(scope, name)}`;
    return this.#call('container-info', async () => {
      const jsm = await this.#jsm;
      try {
        const si = await jsm.streams.info(stream);
        return { name, createdAt: seconds(si.created) };
      } catch (err) {
        if (/stream not found/i.test((err as Error).message)) return undefined;
        throw err;
      }
    });
  }

  async deleteContainer(scope: string, name: string): Promise<void> {
    if (!(await this.containerInfo(scope, name))) return;
    await this.#call('delete-container', async () => {
      const jsm = await this.#jsm;
      await jsm.streams.delete(`OBJ_${this.#bucket(scope, name)}`).catch((err: Error) => {
        if (!/stream not found/i.test(err.message)) throw err;
      });
    });
  }

  async listObjects(scope: string, container: string): Promise<string[]> {
    const os = await this.#store(scope, container);
    const all = await this.#call('list-objects', () => os.list());
    return all.filter((o) => !o.deleted).map((o) => o.name);
  }

  async objectInfo(scope: string, container: string, name: string): Promise<ObjectInfo | undefined> {
    const os = await this.#store(scope, container);
    const o = await this.#call('object-info', () => os.info(objectName(name)));
    return live(o) ? { name, container, createdAt: seconds(o.mtime), size: BigInt(o.size) } : undefined;
  }

  async readObject(
    scope: string,
    container: string,
    name: string,
    start: bigint,
    end: bigint,
  ): Promise<ObjectRange | undefined> {
    const os = await this.#store(scope, container);
    const got = await this.#call('get-data', () => os.get(objectName(name)));
    if (!got || got.info.deleted) return undefined;
    const size = BigInt(got.info.size);
    const last = end < size - 1n ? end : size - 1n;
    if (start > last) {
      await got.data.cancel().catch(() => undefined);
      return { size: 0n, chunks: [] };
    }
    return { size: last - start + 1n, chunks: range(got.data, got.error, Number(start), Number(last)) };
  }

  async writeObject(scope: string, container: string, name: string, chunks: Chunks): Promise<void> {
    const os = await this.#store(scope, container);
    await this.#call('write-data', () => os.put({ name: objectName(name) }, streamOf(chunks)), false);
  }

  async deleteObjects(scope: string, container: string, names: readonly string[]): Promise<void> {
    const os = await this.#store(scope, container);
    for (const name of names) {
      const o = await this.#call('delete-object', () => os.info(objectName(name)));
      if (live(o)) await this.#call('delete-object', () => os.delete(name));
    }
  }

  async copyObject(scope: string, src: ObjectRef, dest: ObjectRef): Promise<void> {
    const from = await this.#store(scope, src.container);
    const to = await this.#store(scope, dest.container);
    const got = await this.#call('copy-object', () => from.get(objectName(src.object)));
    if (!got || got.info.deleted) {
      throw new Error(`object "${src.object}" does not exist in container "${src.container}"`);
    }
    if (src.container === dest.container && src.object === dest.object) {
      // Copying onto itself leaves the same bytes in place: nothing to read or write (reading
      // the whole object into memory here would let one guest exhaust the host's memory).
      await got.data.cancel().catch(() => undefined);
      return;
    }
    await this.#call('copy-object', () => to.put({ name: objectName(dest.object) }, got.data), false);
    const err = await got.error;
    if (err) throw err;
  }

  async moveObject(scope: string, src: ObjectRef, dest: ObjectRef): Promise<void> {
    await this.copyObject(scope, src, dest);
    if (src.container !== dest.container || src.object !== dest.object) {
      await this.deleteObjects(scope, src.container, [src.object]);
    }
  }

  async clear(scope: string, container: string): Promise<void> {
    await this.deleteObjects(scope, container, await this.listObjects(scope, container));
  }
}

/** natsBlobstoreBackend returns a blobstore backend on JetStream Object Store over `nc`. */
export function natsBlobstoreBackend(nc: NatsConnection, options?: NatsBlobstoreOptions): NatsBlobstoreBackend {
  return new NatsBlobstoreBackend(nc, options);
}
