/**
 * The object store the blobstore plugin talks to. Containers are scoped: `scope` is the
 * workload namespace. Object bytes move as sequences of chunks, never as one large copy.
 * Methods reject with an Error whose message the guest sees as the WIT `error` string.
 */

/** Chunks are an object's bytes in order; memory backends give a plain array, remote ones an async iterable. */
export type Chunks = Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** ContainerInfo is what a backend knows about a container; `createdAt` is seconds since the epoch. */
export interface ContainerInfo {
  readonly name: string;
  readonly createdAt: bigint;
}

/** ObjectInfo is what a backend knows about an object. */
export interface ObjectInfo {
  readonly name: string;
  readonly container: string;
  readonly createdAt: bigint;
  readonly size: bigint;
}

/** ObjectRange is a readable byte range of an object: its length and its chunks. */
export interface ObjectRange {
  readonly size: bigint;
  readonly chunks: Chunks;
}

/** ObjectRef names an object in a container. */
export interface ObjectRef {
  readonly container: string;
  readonly object: string;
}

/** BlobstoreBackend stores containers of objects. */
export interface BlobstoreBackend {
  /** createContainer creates an empty container; it rejects if one of that name exists. */
  createContainer(scope: string, name: string): Promise<ContainerInfo>;
  /** containerInfo returns the container, or undefined when it does not exist. */
  containerInfo(scope: string, name: string): Promise<ContainerInfo | undefined>;
  /** deleteContainer removes a container and its objects; a missing container is not an error. */
  deleteContainer(scope: string, name: string): Promise<void>;
  /** listObjects returns the object names of a container; it rejects if the container does not exist. */
  listObjects(scope: string, container: string): Promise<string[]>;
  /** objectInfo returns an object's metadata, or undefined when the object does not exist. */
  objectInfo(scope: string, container: string, name: string): Promise<ObjectInfo | undefined>;
  /** readObject returns bytes `start`..`end` (inclusive, clamped to the object), or undefined when the object does not exist. */
  readObject(
    scope: string,
    container: string,
    name: string,
    start: bigint,
    end: bigint,
  ): Promise<ObjectRange | undefined>;
  /** writeObject stores `chunks` as the object, replacing an existing one. */
  writeObject(scope: string, container: string, name: string, chunks: Chunks): Promise<void>;
  /** deleteObjects removes the named objects; missing ones are skipped. */
  deleteObjects(scope: string, container: string, names: readonly string[]): Promise<void>;
  /** copyObject copies `src` to `dest`, replacing `dest`; both containers and `src` must exist. */
  copyObject(scope: string, src: ObjectRef, dest: ObjectRef): Promise<void>;
  /** moveObject moves `src` to `dest`, replacing `dest`; both containers and `src` must exist. */
  moveObject(scope: string, src: ObjectRef, dest: ObjectRef): Promise<void>;
  /** clear removes every object of a container. */
  clear(scope: string, container: string): Promise<void>;
  /** close releases what the backend holds. */
  close?(): Promise<void>;
}
