/**
 * The `wasi:keyvalue@0.2.0-draft` plugin: `store`, `atomics` and `batch` over a
 * KeyValueBackend. Bucket identifiers are scoped to the workload's namespace, so two
 * workloads of one namespace opening `orders` share it and other namespaces never see it.
 * Every function returns a Promise (the engine suspends the guest with JSPI) and reports
 * failures as `store.error` values, never as traps.
 */
import type { BindContext, HostPlugin, PluginBinding } from '../../plugin.js';
import { CLOSED_MESSAGE, Lifecycle, messageOf, only, scopeOf } from '../common.js';
import { type BackendProvider, BackendSelector, type Routes } from '../multiplex.js';
import type { KeyValueBackend, KeyValueBucket } from './backend.js';

export type { KeyPage, KeyValueBackend, KeyValueBucket } from './backend.js';
export { KeyValueValueError } from './backend.js';
export { MemoryKeyValueBackend, memoryKeyValueBackend } from './memory.js';

/** STORE is the unversioned name of `wasi:keyvalue/store`. */
export const STORE = 'wasi:keyvalue/store';
/** ATOMICS is the unversioned name of `wasi:keyvalue/atomics`. */
export const ATOMICS = 'wasi:keyvalue/atomics';
/** BATCH is the unversioned name of `wasi:keyvalue/batch`. */
export const BATCH = 'wasi:keyvalue/batch';

/** DEFAULT_PAGE_SIZE is how many keys one `list-keys` call returns at most, unless configured. */
export const DEFAULT_PAGE_SIZE = 1000;

/** BUCKET_NAME is the identifiers `open` accepts; anything else is `no-such-store`. */
export const BUCKET_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** KeyValueError is the `wasi:keyvalue/store.error` variant as jco represents it. */
export type KeyValueError = { tag: 'no-such-store' } | { tag: 'access-denied' } | { tag: 'other'; val: string };

/** KeyValuePluginOptions configure keyvaluePlugin. */
export interface KeyValuePluginOptions {
  /** backend serves grants that select no other backend. */
  readonly backend: KeyValueBackend;
  /** backendType names `backend` for `config.backend` (default `default`). */
  readonly backendType?: string;
  /** providers offer further backend types that named instances may select (plugins/multiplex.ts). */
  readonly providers?: readonly BackendProvider<KeyValueBackend>[];
  /** pageSize bounds the keys one `list-keys` returns (default DEFAULT_PAGE_SIZE). */
  readonly pageSize?: number;
}

/** keyvaluePlugin returns the HostPlugin providing `wasi:keyvalue` over `backend` (and the named instances' backends). */
export function keyvaluePlugin(options: KeyValuePluginOptions): HostPlugin {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const selector = new BackendSelector<KeyValueBackend>({
    pkg: 'wasi:keyvalue',
    defaultBackend: options.backend,
    defaultType: options.backendType ?? 'default',
    providers: options.providers,
  });
  return {
    id: 'wasi:keyvalue',
    versions: ['0.2.0-draft'],
    imports: [STORE, ATOMICS, BATCH],
    bind: async (ctx) => bindKeyvalue(ctx, await selector.routes(ctx.grants), pageSize),
    stop: () => selector.close(),
  };
}

function other(err: unknown): KeyValueError {
  return { tag: 'other', val: messageOf(err) };
}

function bindKeyvalue(ctx: BindContext, routes: Routes<KeyValueBackend>, pageSize: number): PluginBinding {
  const life = new Lifecycle(ctx.signal);
  const scope = scopeOf(ctx);
  const handles = new WeakMap<object, KeyValueBucket>();

  // run calls the backend and turns any rejection into a thrown WIT error value.
  async function run<T>(fn: () => Promise<T>): Promise<T> {
    if (life.closed) throw other(CLOSED_MESSAGE);
    try {
      return await fn();
    } catch (err) {
      throw other(err);
    }
  }

  function handleOf(bucket: Bucket): KeyValueBucket {
    const handle = handles.get(bucket);
    // A foreign or dropped bucket cannot come from a well-behaved guest; treat it as a host bug.
    if (!handle) throw new TypeError('not a bucket of this binding');
    return handle;
  }

  /** Bucket is the `wasi:keyvalue/store.bucket` resource of this binding. */
  class Bucket {
    get(key: string): Promise<Uint8Array | undefined> {
      return run(() => handleOf(this).get(key));
    }
    set(key: string, value: Uint8Array): Promise<void> {
      return run(() => handleOf(this).set(key, value));
    }
    delete(key: string): Promise<void> {
      return run(() => handleOf(this).delete(key));
    }
    exists(key: string): Promise<boolean> {
      return run(() => handleOf(this).exists(key));
    }
    listKeys(cursor: bigint | undefined): Promise<{ keys: string[]; cursor: bigint | undefined }> {
      return run(async () => {
        const page = await handleOf(this).listKeys(cursor ?? 0n, pageSize);
        return { keys: page.keys, cursor: page.next };
      });
    }
  }

  async function open(identifier: string): Promise<Bucket> {
    if (life.closed) throw other(CLOSED_MESSAGE);
    if (!BUCKET_NAME.test(identifier)) throw { tag: 'no-such-store' } satisfies KeyValueError;
    // A named instance serves the bucket of its name; the unnamed one every other bucket.
    const backend = routes.route(identifier);
    if (!backend) throw { tag: 'no-such-store' } satisfies KeyValueError;
    const handle = await run(() => backend.open(scope, identifier));
    const bucket = new Bucket();
    handles.set(bucket, handle);
    return bucket;
  }

  const fragment = {
    [STORE]: { open, Bucket },
    [ATOMICS]: {
      increment: (bucket: Bucket, key: string, delta: bigint): Promise<bigint> =>
        run(() => handleOf(bucket).increment(key, delta)),
    },
    [BATCH]: {
      getMany: (bucket: Bucket, keys: string[]): Promise<([string, Uint8Array] | undefined)[]> =>
        run(async () => {
          const handle = handleOf(bucket);
          const values = await Promise.all(keys.map((k) => handle.get(k)));
          return values.map((v, i) => (v === undefined ? undefined : [keys[i]!, v]));
        }),
      setMany: (bucket: Bucket, entries: [string, Uint8Array][]): Promise<void> =>
        run(async () => {
          const handle = handleOf(bucket);
          await Promise.all(entries.map(([k, v]) => handle.set(k, v)));
        }),
      deleteMany: (bucket: Bucket, keys: string[]): Promise<void> =>
        run(async () => {
          const handle = handleOf(bucket);
          await Promise.all(keys.map((k) => handle.delete(k)));
        }),
    },
  };

  return {
    imports: only(ctx, fragment),
    close: () => life.close(),
    threadable: routes.local,
  };
}
