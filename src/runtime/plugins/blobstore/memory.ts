/**
 * The in-memory blobstore backend. Objects are kept as the chunks they were written in;
 * reads and copies share those (immutable) chunks instead of copying bytes.
 */
import type { BlobstoreBackend, Chunks, ContainerInfo, ObjectInfo, ObjectRange, ObjectRef } from './backend.js';

interface StoredObject {
  readonly chunks: readonly Uint8Array[];
  readonly size: bigint;
  readonly createdAt: bigint;
}

interface StoredContainer {
  readonly createdAt: bigint;
  readonly objects: Map<string, StoredObject>;
}

/** MemoryBlobstoreBackend keeps containers and objects in process memory. */
export class MemoryBlobstoreBackend implements BlobstoreBackend {
  readonly #containers = new Map<string, StoredContainer>();
  readonly #now: () => number;

  /** The constructor takes the clock used for creation times (milliseconds, like Date.now). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #seconds(): bigint {
    return BigInt(Math.floor(this.#now() / 1000));
  }

  #container(scope: string, name: string): StoredContainer {
    const c = this.#containers.get(`${scope}\u0000${name}`);
    if (!c) throw new Error(`container "${name}" does not exist`);
    return c;
  }

  #object(scope: string, ref: ObjectRef): StoredObject {
    const o = this.#container(scope, ref.container).objects.get(ref.object);
    if (!o) throw new Error(`object "${ref.object}" does not exist in container "${ref.container}"`);
    return o;
  }

  async createContainer(scope: string, name: string): Promise<ContainerInfo> {
    const id = `${scope}\u0000${name}`;
    if (this.#containers.has(id)) throw new Error(`container "${name}" already exists`);
    const createdAt = this.#seconds();
    this.#containers.set(id, { createdAt, objects: new Map() });
    return { name, createdAt };
  }

  async containerInfo(scope: string, name: string): Promise<ContainerInfo | undefined> {
    const c = this.#containers.get(`${scope}\u0000${name}`);
    return c && { name, createdAt: c.createdAt };
  }

  async deleteContainer(scope: string, name: string): Promise<void> {
    this.#containers.delete(`${scope}\u0000${name}`);
  }

  async listObjects(scope: string, container: string): Promise<string[]> {
    return [...this.#container(scope, container).objects.keys()];
  }

  async objectInfo(scope: string, container: string, name: string): Promise<ObjectInfo | undefined> {
    const o = this.#container(scope, container).objects.get(name);
    return o && { name, container, createdAt: o.createdAt, size: o.size };
  }

  async readObject(
    scope: string,
    container: string,
    name: string,
    start: bigint,
    end: bigint,
  ): Promise<ObjectRange | undefined> {
    const o = this.#container(scope, container).objects.get(name);
    if (!o) return undefined;
    const last = end < o.size - 1n ? end : o.size - 1n;
    if (start > last) return { size: 0n, chunks: [] };
    const chunks: Uint8Array[] = [];
    let offset = 0n;
    for (const chunk of o.chunks) {
      const from = start > offset ? start - offset : 0n;
      const to = last + 1n - offset < BigInt(chunk.length) ? last + 1n - offset : BigInt(chunk.length);
      if (from < to) chunks.push(chunk.subarray(Number(from), Number(to)));
      offset += BigInt(chunk.length);
      if (offset > last) break;
    }
    return { size: last - start + 1n, chunks };
  }

  async writeObject(scope: string, container: string, name: string, data: Chunks): Promise<void> {
    const target = this.#container(scope, container);
    const chunks: Uint8Array[] = [];
    let size = 0n;
    for await (const chunk of data) {
      if (chunk.length === 0) continue;
      chunks.push(chunk.slice());
      size += BigInt(chunk.length);
    }
    if (this.#container(scope, container) !== target)
      throw new Error(`container "${container}" was replaced while writing`);
    target.objects.set(name, { chunks, size, createdAt: this.#seconds() });
  }

  async deleteObjects(scope: string, container: string, names: readonly string[]): Promise<void> {
    const c = this.#container(scope, container);
    for (const name of names) c.objects.delete(name);
  }

  async copyObject(scope: string, src: ObjectRef, dest: ObjectRef): Promise<void> {
    const o = this.#object(scope, src);
    this.#container(scope, dest.container).objects.set(dest.object, { ...o, createdAt: this.#seconds() });
  }

  async moveObject(scope: string, src: ObjectRef, dest: ObjectRef): Promise<void> {
    await this.copyObject(scope, src, dest);
    if (src.container !== dest.container || src.object !== dest.object) {
      this.#container(scope, src.container).objects.delete(src.object);
    }
  }

  async clear(scope: string, container: string): Promise<void> {
    this.#container(scope, container).objects.clear();
  }
}

/** memoryBlobstoreBackend returns a fresh, empty in-memory blobstore backend. */
export function memoryBlobstoreBackend(now?: () => number): MemoryBlobstoreBackend {
  return new MemoryBlobstoreBackend(now);
}
