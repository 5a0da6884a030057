/**
 * The filesystem blobstore backend: containers as directories under
 * `<root>/blobstore/<namespace>/<container>`, objects as files, every name encoded with
 * encodeFileName (reversible, no path escape, no case collision). A container directory
 * holds a `.created` file with its creation time, is created under a temporary name and
 * renamed into place, and is renamed away before it is removed, so it appears and vanishes
 * whole. Objects are streamed into a temporary file, flushed and renamed over the old one;
 * reads stream from the file. Writes of one namespace run one at a time, which keeps each
 * container within its byte bound exactly. One process must own the directory.
 */
import { open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_MAX_BUCKET_BYTES, DEFAULT_MAX_BUCKETS_PER_NAMESPACE } from '../common.js';
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
  tempName,
  writeFileAtomic,
} from '../files.js';
import type { BlobstoreBackend, Chunks, ContainerInfo, ObjectInfo, ObjectRange, ObjectRef } from './backend.js';

/** FilesystemBlobstoreOptions configure the filesystem blobstore backend. */
export interface FilesystemBlobstoreOptions {
  /** root is the data directory; containers live under `<root>/blobstore`. */
  readonly root: string;
  /** maxContainersPerNamespace bounds the containers one namespace may create (default 100). */
  readonly maxContainersPerNamespace?: number;
  /** maxContainerBytes bounds the object bytes one container holds (default 1 GiB). */
  readonly maxContainerBytes?: number;
  /** sync flushes each object to disk before it is renamed into place (default true). */
  readonly sync?: boolean;
  /** now is the clock for container creation times (milliseconds, like Date.now). */
  readonly now?: () => number;
}

const CREATED = '.created';
const READ_CHUNK = 64 * 1024;
const seconds = (ms: number): bigint => BigInt(Math.floor(ms / 1000));
const objectFile = (name: string) => encodeFileName('object name', name);
const missingContainer = (name: string) => new Error(`container "${name}" does not exist`);
const missingObject = (ref: ObjectRef) =>
  new Error(`object "${ref.object}" does not exist in container "${ref.container}"`);

// readRange streams bytes start..last of the file `path`, failing if it is no longer the file `ino` (replaced meanwhile).
async function* readRange(path: string, ino: number, start: number, last: number): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    if ((await fh.stat()).ino !== ino) throw new Error('the object was replaced while it was being read');
    for (let pos = start; pos <= last; ) {
      const want = Math.min(READ_CHUNK, last + 1 - pos);
      const buf = new Uint8Array(want);
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) throw new Error('the object was truncated while it was being read');
      yield buf.subarray(0, bytesRead);
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** FilesystemBlobstoreBackend keeps containers as directories of files under `root`. */
export class FilesystemBlobstoreBackend implements BlobstoreBackend {
  readonly #base: string;
  readonly #maxContainers: number;
  readonly #maxBytes: number;
  readonly #sync: boolean;
  readonly #now: () => number;
  readonly #queue = new KeyedQueue();
  /** #indexes hold each loaded container's object sizes (by encoded file name). */
  readonly #indexes = new Map<string, Promise<Map<string, number>>>();

  constructor(options: FilesystemBlobstoreOptions) {
    this.#base = join(options.root, 'blobstore');
    this.#maxContainers = options.maxContainersPerNamespace ?? DEFAULT_MAX_BUCKETS_PER_NAMESPACE;
    this.#maxBytes = options.maxContainerBytes ?? DEFAULT_MAX_BUCKET_BYTES;
    this.#sync = options.sync ?? true;
    this.#now = options.now ?? Date.now;
  }

  #dir(scope: string, container: string): string {
    return join(scopeDir(this.#base, scope), encodeFileName('container name', container));
  }

  // mutate runs a change of namespace `scope` after the earlier ones (see the file comment).
  #mutate<T>(scope: string, task: () => Promise<T>): Promise<T> {
    return this.#queue.run(scopeDir(this.#base, scope), task);
  }

  // index returns the sizes of a container's objects, loaded once (concurrent first calls
  // share the load); it rejects when the container does not exist.
  #index(scope: string, container: string): Promise<Map<string, number>> {
    const dir = this.#dir(scope, container);
    let index = this.#indexes.get(dir);
    if (!index) {
      const loading = (async () => {
        if (!(await this.containerInfo(scope, container))) throw missingContainer(container);
        await removeTemps(dir);
        return sizesOf(dir);
      })();
      index = loading;
      this.#indexes.set(dir, loading);
      loading.catch(() => {
        if (this.#indexes.get(dir) === loading) this.#indexes.delete(dir);
      });
    }
    return index;
  }

  #bytes(index: Map<string, number>): number {
    let total = 0;
    for (const size of index.values()) total += size;
    return total;
  }

  async createContainer(scope: string, name: string): Promise<ContainerInfo> {
    const dir = this.#dir(scope, name);
    return this.#mutate(scope, async () => {
      if (await this.containerInfo(scope, name)) throw new Error(`container "${name}" already exists`);
      const parent = scopeDir(this.#base, scope);
      const count = await countDirs(parent);
      if (count >= this.#maxContainers)
        throw new StorageLimitError(
          `this namespace already has ${count} containers (the limit is ${this.#maxContainers})`,
        );
      const createdAt = seconds(this.#now());
      const temp = join(parent, tempName());
      await ensureDir(temp);
      try {
        await writeFileAtomic(temp, CREATED, [new TextEncoder().encode(String(createdAt))], { sync: this.#sync });
        await rename(temp, dir);
      } catch (err) {
        await rm(temp, { recursive: true, force: true });
        throw err;
      }
      this.#indexes.set(dir, Promise.resolve(new Map()));
      return { name, createdAt };
    });
  }

  async containerInfo(scope: string, name: string): Promise<ContainerInfo | undefined> {
    try {
      const text = await readFile(join(this.#dir(scope, name), CREATED), 'utf8');
      return { name, createdAt: BigInt(/^[0-9]{1,20}$/.test(text) ? text : '0') };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async deleteContainer(scope: string, name: string): Promise<void> {
    const dir = this.#dir(scope, name);
    return this.#mutate(scope, async () => {
      const trash = join(scopeDir(this.#base, scope), tempName());
      try {
        await rename(dir, trash);
      } catch (err) {
        if (isMissing(err)) return;
        throw err;
      }
      this.#indexes.delete(dir);
      await rm(trash, { recursive: true, force: true });
    });
  }

  async listObjects(scope: string, container: string): Promise<string[]> {
    await this.#index(scope, container);
    const names = await readdir(this.#dir(scope, container));
    return names.map(decodeFileName).filter((n): n is string => n !== undefined);
  }

  async objectInfo(scope: string, container: string, name: string): Promise<ObjectInfo | undefined> {
    await this.#index(scope, container);
    try {
      const st = await stat(join(this.#dir(scope, container), objectFile(name)));
      return { name, container, createdAt: seconds(st.mtimeMs), size: BigInt(st.size) };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async readObject(
    scope: string,
    container: string,
    name: string,
    start: bigint,
    end: bigint,
  ): Promise<ObjectRange | undefined> {
    await this.#index(scope, container);
    const path = join(this.#dir(scope, container), objectFile(name));
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(path);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    const size = BigInt(st.size);
    const last = end < size - 1n ? end : size - 1n;
    if (start > last) return { size: 0n, chunks: [] };
    // The file is opened when the guest starts reading, so a value never read holds no descriptor.
    return { size: last - start + 1n, chunks: readRange(path, st.ino, Number(start), Number(last)) };
  }

  async writeObject(scope: string, container: string, name: string, chunks: Chunks): Promise<void> {
    const file = objectFile(name);
    return this.#mutate(scope, async () => {
      const index = await this.#index(scope, container);
      const room = this.#maxBytes - (this.#bytes(index) - (index.get(file) ?? 0));
      const dir = this.#dir(scope, container);
      const size = await writeFileAtomic(dir, file, chunks, { maxBytes: room, sync: this.#sync }).catch((err) => {
        if (err instanceof StorageLimitError)
          throw new StorageLimitError(`the container is full (limit ${this.#maxBytes} bytes)`);
        throw err;
      });
      index.set(file, size);
    });
  }

  async deleteObjects(scope: string, container: string, names: readonly string[]): Promise<void> {
    const files = names.map(objectFile);
    return this.#mutate(scope, async () => {
      const index = await this.#index(scope, container);
      const dir = this.#dir(scope, container);
      for (const file of files) {
        await unlink(join(dir, file)).catch((err) => {
          if (!isMissing(err)) throw err;
        });
        index.delete(file);
      }
    });
  }

  async #transfer(scope: string, src: ObjectRef, dest: ObjectRef, move: boolean): Promise<void> {
    const [srcFile, destFile] = [objectFile(src.object), objectFile(dest.object)];
    return this.#mutate(scope, async () => {
      const from = await this.#index(scope, src.container);
      const to = await this.#index(scope, dest.container);
      const size = from.get(srcFile);
      if (size === undefined) throw missingObject(src);
      if (src.container === dest.container && srcFile === destFile) return;
      const room = this.#maxBytes - (this.#bytes(to) - (to.get(destFile) ?? 0));
      if (src.container !== dest.container && size > room)
        throw new StorageLimitError(`container "${dest.container}" is full (limit ${this.#maxBytes} bytes)`);
      const [srcPath, destDir] = [join(this.#dir(scope, src.container), srcFile), this.#dir(scope, dest.container)];
      if (move) {
        await rename(srcPath, join(destDir, destFile));
        from.delete(srcFile);
      } else {
        const { ino } = await stat(srcPath);
        await writeFileAtomic(destDir, destFile, readRange(srcPath, ino, 0, size - 1), { sync: this.#sync });
      }
      to.set(destFile, size);
    });
  }

  copyObject(scope: string, src: ObjectRef, dest: ObjectRef): Promise<void> {
    return this.#transfer(scope, src, dest, false);
  }

  moveObject(scope: string, src: ObjectRef, dest: ObjectRef): Promise<void> {
    return this.#transfer(scope, src, dest, true);
  }

  async clear(scope: string, container: string): Promise<void> {
    const index = await this.#index(scope, container);
    await this.deleteObjects(
      scope,
      container,
      [...index.keys()].map((f) => decodeFileName(f)!),
    );
  }

  /** close forgets the loaded indexes (the files stay). */
  async close(): Promise<void> {
    this.#indexes.clear();
  }
}

/** filesystemBlobstoreBackend returns a blobstore backend storing containers under `options.root`. */
export function filesystemBlobstoreBackend(options: FilesystemBlobstoreOptions): FilesystemBlobstoreBackend {
  return new FilesystemBlobstoreBackend(options);
}
