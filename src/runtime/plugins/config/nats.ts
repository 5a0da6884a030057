/**
 * The NATS config backend: the component's `config` map overlaid by the JetStream KV bucket
 * `skiff-config`, which the operator (or a person with `nats kv put`) writes. Keys are
 * `<namespace>.<workload>.<component>.<key>`, each part escaped with encodeToken
 * (configKey builds them). Every view watches its component's keys, so a put or delete
 * reaches running instances without a restart; reads are served from the watched copy
 * (also while NATS reconnects — nats.js resumes the ordered consumer behind the watch).
 */
import { jetstream } from '@nats-io/jetstream';
import { type KV, type KvWatchEntry, Kvm } from '@nats-io/kv';
import type { NatsConnection, QueuedIterator } from '@nats-io/transport-node';
import { DEFAULT_NATS_TIMEOUT_MS, decodeToken, encodeToken, natsCall } from '../common.js';
import type { ConfigBackend, ConfigRef, ConfigView } from './backend.js';

/** CONFIG_BUCKET is the KV bucket holding run-time configuration overrides. */
export const CONFIG_BUCKET = 'skiff-config';

/** configKey is the `skiff-config` key overriding `key` for the component `ref`. */
export function configKey(ref: ConfigRef, key: string): string {
  return [ref.namespace, ref.workload, ref.component, key].map(encodeToken).join('.');
}

/** NatsConfigOptions configure the NATS config backend. */
export interface NatsConfigOptions {
  /** bucket is the KV bucket to read (default CONFIG_BUCKET). */
  readonly bucket?: string;
  /** timeoutMs bounds how long a read waits for the first copy of the overrides (default DEFAULT_NATS_TIMEOUT_MS). */
  readonly timeoutMs?: number;
}

class NatsConfigView implements ConfigView {
  readonly #overlay = new Map<string, string>();
  readonly #base: Readonly<Record<string, string>>;
  readonly #timeoutMs: number;
  readonly #nc: NatsConnection;
  readonly #kv: () => Promise<KV>;
  readonly #filter: string;
  #synced: Promise<void> | undefined;
  #watch: QueuedIterator<KvWatchEntry> | undefined;
  #closed = false;
  #loaded = false;

  constructor(
    nc: NatsConnection,
    kv: () => Promise<KV>,
    ref: ConfigRef,
    base: Readonly<Record<string, string>>,
    timeoutMs: number,
  ) {
    this.#nc = nc;
    this.#kv = kv;
    this.#base = base;
    this.#timeoutMs = timeoutMs;
    this.#filter = `${[ref.namespace, ref.workload, ref.component].map(encodeToken).join('.')}.>`;
    this.#ready().catch(() => undefined);
  }

  // watchKeys watches the component's keys and resolves once the current overrides are loaded.
  async #watchKeys(): Promise<void> {
    const kv = await this.#kv();
    const filter = this.#filter;
    const watch = await kv.watch({ key: filter });
    if (this.#closed) return void watch.stop();
    // How many current values the watch will replay: read from the watch's own consumer, so
    // keys deleted or added meanwhile cannot leave reads waiting for entries that never come.
    const initial = await initialCount(watch, () => countKeys(kv, filter));
    this.#watch = watch;
    let markSynced: () => void = () => undefined;
    const synced = new Promise<void>((resolve) => {
      markSynced = resolve;
    });
    if (initial === 0) markSynced();
    void (async () => {
      for await (const e of watch) {
        const key = decodeToken(e.key.split('.')[3] ?? '');
        if (e.operation === 'PUT') this.#overlay.set(key, e.string());
        else this.#overlay.delete(key);
        if (e.isUpdate || e.delta === 0) markSynced();
      }
    })()
      .catch(() => undefined)
      .finally(() => {
        // The watch ended without close (connection closed, consumer lost): reload on the next read.
        if (this.#closed) return;
        this.#loaded = false;
        this.#synced = undefined;
        this.#overlay.clear();
      });
    await synced;
    this.#loaded = true;
  }

  // ready waits (bounded) for the overrides; if loading them failed (NATS down while the
  // workload started), the next read tries again.
  async #ready(): Promise<void> {
    // Once loaded, reads are served from the watched copy, even while NATS reconnects.
    if (this.#loaded) return;
    if (!this.#synced) {
      const synced = this.#watchKeys();
      this.#synced = synced;
      synced.catch(() => {
        if (this.#synced === synced) this.#synced = undefined;
      });
    }
    const synced = this.#synced;
    await natsCall(this.#nc, this.#timeoutMs, 'config read', () => synced);
  }

  async get(key: string): Promise<string | undefined> {
    await this.#ready();
    return this.#overlay.get(key) ?? (Object.hasOwn(this.#base, key) ? this.#base[key] : undefined);
  }

  async getAll(): Promise<Record<string, string>> {
    await this.#ready();
    return { ...this.#base, ...Object.fromEntries(this.#overlay) };
  }

  close(): void {
    this.#closed = true;
    this.#watch?.stop();
  }
}

/** NatsConfigBackend serves configuration from the manifest overlaid by the `skiff-config` KV bucket. */
export class NatsConfigBackend implements ConfigBackend {
  readonly #nc: NatsConnection;
  readonly #kvm: Kvm;
  readonly #bucket: string;
  readonly #timeoutMs: number;
  #kv: Promise<KV> | undefined;

  constructor(nc: NatsConnection, options: NatsConfigOptions = {}) {
    this.#nc = nc;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_NATS_TIMEOUT_MS;
    this.#kvm = new Kvm(jetstream(nc, { timeout: this.#timeoutMs }));
    this.#bucket = options.bucket ?? CONFIG_BUCKET;
  }

  /** bucket returns the overrides bucket, creating it on first use (a failed attempt is retried next time). */
  bucket(): Promise<KV> {
    if (!this.#kv) {
      const kv = this.#kvm.create(this.#bucket, { history: 1, timeout: this.#timeoutMs });
      this.#kv = kv;
      kv.catch(() => {
        if (this.#kv === kv) this.#kv = undefined;
      });
    }
    return this.#kv;
  }

  open(ref: ConfigRef, base: Readonly<Record<string, string>>): ConfigView {
    return new NatsConfigView(this.#nc, () => this.bucket(), ref, base, this.#timeoutMs);
  }

  /** set writes an override, as the operator does. */
  async set(ref: ConfigRef, key: string, value: string): Promise<void> {
    await (await this.bucket()).put(configKey(ref, key), value);
  }

  /** unset removes an override, so the manifest's value (if any) shows again. */
  async unset(ref: ConfigRef, key: string): Promise<void> {
    await (await this.bucket()).delete(configKey(ref, key));
  }
}

/** natsConfigBackend returns a config backend overlaid by the `skiff-config` KV bucket over `nc`. */
export function natsConfigBackend(nc: NatsConnection, options?: NatsConfigOptions): NatsConfigBackend {
  return new NatsConfigBackend(nc, options);
}

async function countKeys(kv: KV, filter: string): Promise<number> {
  let n = 0;
  for await (const _ of await kv.keys(filter)) n++;
  return n;
}

/**
 * initialCount is the number of entries a new watch replays before updates: the pending
 * count of the consumer behind it (nats.js keeps it as `_data`), or `fallback` if that is
 * not available in this nats.js version.
 */
async function initialCount(watch: unknown, fallback: () => Promise<number>): Promise<number> {
  const consumer = (watch as { _data?: { info?(cached?: boolean): Promise<{ num_pending?: number }> } })._data;
  if (typeof consumer?.info === 'function') {
    const info = await consumer.info(true);
    if (typeof info.num_pending === 'number') return info.num_pending;
  }
  return fallback();
}
