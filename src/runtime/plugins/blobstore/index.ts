/**
 * The `wasi:blobstore@0.2.0-draft` plugin: containers scoped to the workload's namespace,
 * objects read through `incoming-value` (all at once or as a `wasi:io` input-stream) and
 * written through `outgoing-value` (an output-stream, then `finish`). `write-data` may come
 * before or after the bytes are written: the object is stored once the stream is dropped
 * and the value finished. Failures reach the guest as error strings, never as traps.
 */
import type { BindContext, HostPlugin, PluginBinding } from '../../plugin.js';
import { CLOSED_MESSAGE, Lifecycle, messageOf, only, scopeOf } from '../common.js';
import { type BackendProvider, BackendSelector, type Routes } from '../multiplex.js';
import type { BlobstoreBackend, ContainerInfo, ObjectInfo, ObjectRange, ObjectRef } from './backend.js';
import { BodyCollector, chunkStream, concat } from './values.js';

export type { BlobstoreBackend, Chunks, ContainerInfo, ObjectInfo, ObjectRange, ObjectRef } from './backend.js';
export { MemoryBlobstoreBackend, memoryBlobstoreBackend } from './memory.js';

/** BLOBSTORE is the unversioned name of `wasi:blobstore/blobstore`. */
export const BLOBSTORE = 'wasi:blobstore/blobstore';
/** CONTAINER is the unversioned name of `wasi:blobstore/container`. */
export const CONTAINER = 'wasi:blobstore/container';
/** BLOB_TYPES is the unversioned name of `wasi:blobstore/types`. */
export const BLOB_TYPES = 'wasi:blobstore/types';

/** BlobstorePluginOptions configure blobstorePlugin. */
export interface BlobstorePluginOptions {
  /** backend serves grants that select no other backend. */
  readonly backend: BlobstoreBackend;
  /** backendType names `backend` for `config.backend` (default `default`). */
  readonly backendType?: string;
  /** providers offer further backend types that named instances may select (plugins/multiplex.ts). */
  readonly providers?: readonly BackendProvider<BlobstoreBackend>[];
}

/** blobstorePlugin returns the HostPlugin providing `wasi:blobstore` over `backend` (and the named instances' backends). */
export function blobstorePlugin(options: BlobstorePluginOptions): HostPlugin {
  const selector = new BackendSelector<BlobstoreBackend>({
    pkg: 'wasi:blobstore',
    defaultBackend: options.backend,
    defaultType: options.backendType ?? 'default',
    providers: options.providers,
  });
  return {
    id: 'wasi:blobstore',
    versions: ['0.2.0-draft'],
    imports: [BLOBSTORE, CONTAINER, BLOB_TYPES],
    implied: { [BLOBSTORE]: [CONTAINER] },
    bind: async (ctx) => bindBlobstore(ctx, await selector.routes(ctx.grants)),
    stop: () => selector.close(),
  };
}

function bindBlobstore(ctx: BindContext, routes: Routes<BlobstoreBackend>): PluginBinding {
  const life = new Lifecycle(ctx.signal);
  const scope = scopeOf(ctx);
  // A named instance serves the container of its name; the unnamed one every other container.
  const backendOf = (container: string): BlobstoreBackend => {
    const backend = routes.route(container);
    if (!backend) throw new Error(`no wasi:blobstore instance of this workload serves container "${container}"`);
    return backend;
  };
  // transfer copies or moves an object, streaming it across when the two containers live in different backends.
  async function transfer(src: ObjectRef, dest: ObjectRef, move: boolean): Promise<void> {
    const [from, to] = [backendOf(src.container), backendOf(dest.container)];
    if (from === to) return move ? from.moveObject(scope, src, dest) : from.copyObject(scope, src, dest);
    if (!(await to.containerInfo(scope, dest.container)))
      throw new Error(`container "${dest.container}" does not exist`);
    const range = await from.readObject(scope, src.container, src.object, 0n, (1n << 64n) - 1n);
    if (!range) throw new Error(`object "${src.object}" does not exist in container "${src.container}"`);
    await to.writeObject(scope, dest.container, dest.object, range.chunks);
    if (move) await from.deleteObjects(scope, src.container, [src.object]);
  }

  // run calls the backend and turns any rejection into a thrown error string.
  async function run<T>(fn: () => Promise<T>): Promise<T> {
    if (life.closed) throw CLOSED_MESSAGE;
    try {
      return await fn();
    } catch (err) {
      throw messageOf(err);
    }
  }
  const name = (kind: string, n: string) => {
    if (typeof n !== 'string' || n.length === 0) throw `${kind} name must not be empty`;
  };

  /** OutgoingValue is the `outgoing-value` resource: bytes on their way into the store. */
  class OutgoingValue {
    readonly body = new BodyCollector();
    readonly targets: { container: string; object: string; written: boolean }[] = [];
    finished = false;
    static newOutgoingValue(): OutgoingValue {
      return new OutgoingValue();
    }
    outgoingValueWriteBody(): unknown {
      if (this.body.taken) throw {};
      return this.body.stream();
    }
    async commit(): Promise<void> {
      for (const t of this.targets.filter((x) => !x.written)) {
        await backendOf(t.container).writeObject(scope, t.container, t.object, this.body.chunks);
        t.written = true;
      }
    }
    static finish(value: OutgoingValue): Promise<void> {
      return run(async () => {
        if (value.finished) throw new Error('outgoing-value already finished');
        value.finished = true;
        value.body.complete = true;
        await value.commit();
      });
    }
  }

  /** IncomingValue is the `incoming-value` resource: a byte range read from an object. */
  class IncomingValue {
    consumed = false;
    readonly range: ObjectRange;
    constructor(range: ObjectRange) {
      this.range = range;
    }
    take(): ObjectRange {
      if (this.consumed) throw 'incoming-value already consumed';
      this.consumed = true;
      return this.range;
    }
    static incomingValueConsumeSync(value: IncomingValue): Promise<Uint8Array> {
      return run(async () => {
        const range = value.take();
        return concat(range.chunks, range.size);
      });
    }
    static incomingValueConsumeAsync(value: IncomingValue): unknown {
      if (life.closed) throw CLOSED_MESSAGE;
      return chunkStream(value.take().chunks);
    }
    size(): bigint {
      return this.range.size;
    }
  }

  /** StreamObjectNames is the `stream-object-names` resource: a cursor over a name snapshot. */
  class StreamObjectNames {
    readonly names: string[];
    constructor(names: string[]) {
      this.names = names;
    }
    readStreamObjectNames(len: bigint): [string[], boolean] {
      const out = this.names.splice(0, Number(len));
      return [out, this.names.length === 0];
    }
    skipStreamObjectNames(num: bigint): [bigint, boolean] {
      const out = this.names.splice(0, Number(num));
      return [BigInt(out.length), this.names.length === 0];
    }
  }

  const toContainerMeta = (c: ContainerInfo) => ({ name: c.name, createdAt: c.createdAt });
  const toObjectMeta = (o: ObjectInfo) => ({
    name: o.name,
    container: o.container,
    createdAt: o.createdAt,
    size: o.size,
  });

  /** Container is the `container` resource: a handle on one named container of this namespace. */
  class Container {
    readonly containerName: string;
    constructor(containerName: string) {
      this.containerName = containerName;
    }
    /** store is the backend of the instance serving this container. */
    get store(): BlobstoreBackend {
      return backendOf(this.containerName);
    }
    name(): string {
      return this.containerName;
    }
    info(): Promise<{ name: string; createdAt: bigint }> {
      return run(async () => {
        const c = await this.store.containerInfo(scope, this.containerName);
        if (!c) throw new Error(`container "${this.containerName}" does not exist`);
        return toContainerMeta(c);
      });
    }
    async getData(object: string, start: bigint, end: bigint): Promise<IncomingValue> {
      name('object', object);
      if (start > end) throw `start ${start} is after end ${end}`;
      const range = await run(() => this.store.readObject(scope, this.containerName, object, start, end));
      if (!range) throw `object "${object}" does not exist in container "${this.containerName}"`;
      return new IncomingValue(range);
    }
    async writeData(object: string, data: OutgoingValue): Promise<void> {
      name('object', object);
      await run(async () => {
        if (!(await this.store.containerInfo(scope, this.containerName))) {
          throw new Error(`container "${this.containerName}" does not exist`);
        }
      });
      data.targets.push({ container: this.containerName, object, written: false });
      if (data.body.complete) await run(() => data.commit());
    }
    async listObjects(): Promise<StreamObjectNames> {
      return new StreamObjectNames(await run(() => this.store.listObjects(scope, this.containerName)));
    }
    deleteObject(object: string): Promise<void> {
      return run(() => this.store.deleteObjects(scope, this.containerName, [object]));
    }
    deleteObjects(names: string[]): Promise<void> {
      return run(() => this.store.deleteObjects(scope, this.containerName, names));
    }
    hasObject(object: string): Promise<boolean> {
      return run(async () => (await this.store.objectInfo(scope, this.containerName, object)) !== undefined);
    }
    objectInfo(object: string): Promise<ReturnType<typeof toObjectMeta>> {
      return run(async () => {
        const o = await this.store.objectInfo(scope, this.containerName, object);
        if (!o) throw new Error(`object "${object}" does not exist in container "${this.containerName}"`);
        return toObjectMeta(o);
      });
    }
    clear(): Promise<void> {
      return run(() => this.store.clear(scope, this.containerName));
    }
  }

  const objectRef = (id: ObjectRef) => {
    name('container', id.container);
    name('object', id.object);
    return { container: id.container, object: id.object };
  };

  const fragment = {
    [BLOBSTORE]: {
      async createContainer(n: string): Promise<Container> {
        name('container', n);
        await run(() => backendOf(n).createContainer(scope, n));
        return new Container(n);
      },
      async getContainer(n: string): Promise<Container> {
        name('container', n);
        if (!(await run(() => backendOf(n).containerInfo(scope, n)))) throw `container "${n}" does not exist`;
        return new Container(n);
      },
      deleteContainer: (n: string): Promise<void> => run(() => backendOf(n).deleteContainer(scope, n)),
      containerExists: (n: string): Promise<boolean> =>
        run(async () => (await backendOf(n).containerInfo(scope, n)) !== undefined),
      copyObject: async (src: ObjectRef, dest: ObjectRef): Promise<void> =>
        run(() => transfer(objectRef(src), objectRef(dest), false)),
      moveObject: async (src: ObjectRef, dest: ObjectRef): Promise<void> =>
        run(() => transfer(objectRef(src), objectRef(dest), true)),
    },
    [CONTAINER]: { Container, StreamObjectNames },
    [BLOB_TYPES]: { OutgoingValue, IncomingValue },
  };

  // `types` and `container` hold the resources `blobstore` returns, so they come with it.
  const imports = only(ctx, fragment);
  if (imports[BLOBSTORE] || imports[CONTAINER])
    Object.assign(imports, { [CONTAINER]: fragment[CONTAINER], [BLOB_TYPES]: fragment[BLOB_TYPES] });
  return { imports, close: () => life.close(), threadable: routes.local };
}
