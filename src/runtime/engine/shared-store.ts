/**
 * Where hosts share transpile output: a TranspileStore holds signed bundles (bundle.ts) by
 * cache key, so a host starting a component another host already transpiled fetches the
 * bundle instead of running jco (docs/adr/0017). natsTranspileStore keeps them in a
 * JetStream Object Store. Every call is bounded; a store that fails or is slow only costs
 * the host its own transpile.
 */
import { jetstream, StorageType } from '@nats-io/jetstream';
import { type ObjectStore, Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { readObject } from '../../nats/objects.js';
import { MAX_BUNDLE_BYTES } from './bundle.js';

/** TranspileStore keeps transpile bundles by cache key. */
export interface TranspileStore {
  /** get resolves with the bundle stored under `key`, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** put stores a bundle under `key` (a later put of the same key may replace it). */
  put(key: string, bundle: Uint8Array): Promise<void>;
}

/** SharedTranspiles is a store and the secret the hosts sharing it sign their bundles with. */
export interface SharedTranspiles {
  readonly store: TranspileStore;
  /** secret is the HMAC key every host sharing the store holds (at least 32 bytes). */
  readonly secret: Uint8Array;
}

/** NatsTranspileStoreOptions configure natsTranspileStore. */
export interface NatsTranspileStoreOptions {
  /** bucket is the Object Store's name (default DEFAULT_TRANSPILE_BUCKET). */
  readonly bucket?: string;
  /** timeoutMs bounds each request to NATS (default 5 s). */
  readonly timeoutMs?: number;
  /** readTimeoutMs bounds reading one bundle's chunks (default 30 s): a bundle replaced while it is read never finishes. */
  readonly readTimeoutMs?: number;
  /** maxBytes bounds the store (default 2 GiB); JetStream drops the oldest bundles past it. */
  readonly maxBytes?: number;
}

/** DEFAULT_TRANSPILE_BUCKET names the Object Store of shared transpile bundles (guests' stores start `skiff_`). */
export const DEFAULT_TRANSPILE_BUCKET = 'skiff-transpiled';

/** natsTranspileStore keeps bundles in a JetStream Object Store on `nc` (which stays the caller's). */
export function natsTranspileStore(nc: NatsConnection, options: NatsTranspileStoreOptions = {}): TranspileStore {
  const timeoutMs = options.timeoutMs ?? 5000;
  const readTimeoutMs = options.readTimeoutMs ?? 30_000;
  const objm = new Objm(jetstream(nc, { timeout: timeoutMs }));
  let store: Promise<ObjectStore> | undefined;
  const open = () => {
    store ??= objm.create(options.bucket ?? DEFAULT_TRANSPILE_BUCKET, {
      storage: StorageType.File,
      max_bytes: options.maxBytes ?? 2 * 2 ** 30,
      description: 'Skiff: transpiled components shared between hosts (signed bundles)',
    });
    store.catch(() => {
      store = undefined;
    });
    return store;
  };
  return {
    async get(key) {
      const os = await open();
      const info = await os.info(key);
      if (!info || info.deleted || info.options?.link) return undefined;
      if (info.size > MAX_BUNDLE_BYTES) return undefined;
      const result = await os.get(key);
      if (!result || result.info.options?.link) return undefined;
      return readObject(result, { timeoutMs: readTimeoutMs, maxBytes: MAX_BUNDLE_BYTES });
    },
    async put(key, bundle) {
      const os = await open();
      await os.putBlob({ name: key }, bundle);
    },
  };
}
