/**
 * A reconnecting informer: a read-only cache of one resource (in some namespaces or all),
 * kept by one Reflector per scope, that tells a handler which keys changed. Handlers only
 * get keys; they read the cache and enqueue.
 */
import type { Logger } from '../../telemetry/logger.js';
import type { BackoffOptions } from './backoff.js';
import type { Kube } from './client.js';
import { KubeTimeoutError } from './errors.js';
import type { KubeMetrics } from './metrics.js';
import { Reflector } from './reflector.js';
import type { KubeObject, ResourceRef } from './resources.js';

/** InformerOptions configure an Informer; `namespaces` absent means all namespaces. */
export interface InformerOptions {
  kube: Kube;
  resource: ResourceRef;
  namespaces?: string[] | undefined;
  logger: Logger;
  /** onChange gets the key (`namespace/name`) of every object added, changed or deleted; throws are logged. */
  onChange: (key: string) => void;
  labelSelector?: string | undefined;
  /** metadataOnly caches only metadata (PartialObjectMetadata): e.g. Secrets without their data. */
  metadataOnly?: boolean | undefined;
  backoff?: BackoffOptions | undefined;
  metrics?: KubeMetrics | undefined;
  /** Server-side watch timeout in seconds (default 300; each watch adds up to half of it as jitter). */
  watchTimeoutSeconds?: number | undefined;
  /** Client-side bound on a silent watch (default 150 s; bookmarks arrive about once a minute). */
  idleMs?: number | undefined;
  /** A watch open this long resets the backoff (default 30 s). */
  healthyMs?: number | undefined;
}

/** Informer caches one resource and reports changed keys; objects it returns are shared: treat them as read-only. */
export class Informer<T extends KubeObject = KubeObject> {
  readonly #options: InformerOptions;
  readonly #cache = new Map<string, KubeObject>();
  readonly #logger: Logger;
  #reflectors: Reflector[] = [];
  #running: Promise<void>[] = [];
  #abort: AbortController | undefined;
  #syncWaiters: (() => void)[] = [];

  constructor(options: InformerOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ informer: options.resource.plural });
  }

  #notify = (key: string): void => {
    try {
      this.#options.onChange(key);
    } catch (err) {
      this.#logger.error({ key, err }, 'onChange threw; ignored');
    }
  };

  #onSynced = (): void => {
    if (!this.synced) return;
    const waiters = this.#syncWaiters;
    this.#syncWaiters = [];
    for (const wake of waiters) wake();
  };

  /** start begins listing and watching; it returns at once. */
  start(): void {
    if (this.#abort) return;
    const o = this.#options;
    this.#abort = new AbortController();
    const scoped = o.resource.namespaced && o.namespaces && o.namespaces.length > 0;
    const scopes = scoped ? [...new Set(o.namespaces)] : [undefined];
    this.#reflectors = scopes.map(
      (namespace) =>
        new Reflector({
          kube: o.kube,
          resource: o.resource,
          namespace,
          labelSelector: o.labelSelector,
          metadataOnly: o.metadataOnly,
          logger: this.#logger,
          backoff: o.backoff ?? {},
          metrics: o.metrics,
          cache: this.#cache,
          notify: this.#notify,
          onSynced: this.#onSynced,
          healthyMs: o.healthyMs ?? 30_000,
          watchTimeoutSeconds: o.watchTimeoutSeconds ?? 300,
          idleMs: o.idleMs ?? 150_000,
        }),
    );
    const signal = this.#abort.signal;
    this.#running = this.#reflectors.map((r) =>
      r.run(signal).catch((err) => this.#logger.error({ err }, 'reflector stopped unexpectedly')),
    );
  }

  /** stop ends every watch and waits for the loops to finish; the cache keeps its last state. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    await Promise.all(this.#running);
    this.#running = [];
    this.#abort = undefined;
  }

  /** synced is true once every scope's first list has filled the cache. */
  get synced(): boolean {
    return this.#reflectors.length > 0 && this.#reflectors.every((r) => r.synced);
  }

  /** waitForSync resolves once synced, or rejects with KubeTimeoutError after `timeoutMs`. */
  waitForSync(timeoutMs: number): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#syncWaiters = this.#syncWaiters.filter((w) => w !== wake);
        reject(new KubeTimeoutError(`${this.#options.resource.plural} informer not synced within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#syncWaiters.push(wake);
    });
  }

  /** get returns the cached object of `key` (`namespace/name`), undefined once deleted. */
  get(key: string): T | undefined {
    return this.#cache.get(key) as T | undefined;
  }

  /** list returns every cached object. */
  list(): T[] {
    return [...this.#cache.values()] as T[];
  }

  /** keys returns every cached key. */
  keys(): string[] {
    return [...this.#cache.keys()];
  }
}
