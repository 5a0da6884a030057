/**
 * One list-then-watch loop of an informer (one per watched namespace, or one for all):
 * list, watch from the list's resourceVersion, re-watch from the last seen one after any
 * error or end of stream (jittered backoff, immediate after a healthy watch), and relist
 * on 410 Gone, reporting every key whose object appeared, changed or vanished meanwhile.
 */
import type { Logger } from '../../telemetry/logger.js';
import { Backoff, type BackoffOptions, sleep } from './backoff.js';
import type { Kube } from './client.js';
import { isKubeError } from './errors.js';
import type { KubeMetrics } from './metrics.js';
import { type KubeObject, objectKey, type ResourceRef } from './resources.js';
import type { WatchEvent } from './watch.js';

/** ReflectorOptions configure one loop; `cache` and `notify` belong to the informer. */
export interface ReflectorOptions {
  kube: Kube;
  resource: ResourceRef;
  namespace: string | undefined;
  labelSelector: string | undefined;
  /** metadataOnly caches PartialObjectMetadata instead of whole objects. */
  metadataOnly?: boolean | undefined;
  logger: Logger;
  backoff: BackoffOptions;
  metrics: KubeMetrics | undefined;
  cache: Map<string, KubeObject>;
  notify: (key: string) => void;
  onSynced: () => void;
  /** A watch open at least this long counts as healthy and resets the backoff (default 30 s). */
  healthyMs: number;
  /** Server-side watch timeout in seconds (default 300). */
  watchTimeoutSeconds: number;
  /** Client-side bound on silence of a watch, in milliseconds. */
  idleMs: number;
}

/** Reflector keeps the informer cache equal to the server's objects in one scope. */
export class Reflector {
  readonly #o: ReflectorOptions;
  readonly #backoff: Backoff;
  #synced = false;

  constructor(options: ReflectorOptions) {
    this.#o = options;
    this.#backoff = new Backoff(options.backoff);
  }

  /** synced is true once the first list has filled the cache. */
  get synced(): boolean {
    return this.#synced;
  }

  #inScope(key: string): boolean {
    return this.#o.namespace === undefined || key.startsWith(`${this.#o.namespace}/`);
  }

  /** relist replaces this scope's part of the cache and notifies every key that differs; returns the list's resourceVersion. */
  async #relist(signal: AbortSignal): Promise<string> {
    const { kube, resource, namespace, labelSelector, cache } = this.#o;
    const metadataOnly = this.#o.metadataOnly;
    const { items, resourceVersion } = await kube.list(resource, namespace, { labelSelector, metadataOnly, signal });
    this.#o.metrics?.relists.inc({ resource: resource.plural });
    const changed: string[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      if (cache.get(key)?.metadata.resourceVersion !== item.metadata.resourceVersion) changed.push(key);
      cache.set(key, item);
    }
    for (const key of [...cache.keys()]) {
      if (this.#inScope(key) && !seen.has(key)) {
        cache.delete(key);
        changed.push(key);
      }
    }
    this.#o.metrics?.cached.set({ resource: resource.plural }, cache.size);
    if (!this.#synced) {
      this.#synced = true;
      this.#o.onSynced();
    }
    for (const key of changed) this.#o.notify(key);
    return resourceVersion;
  }

  #apply(event: WatchEvent): string | undefined {
    if (event.type === 'BOOKMARK') return event.resourceVersion;
    const key = objectKey(event.object);
    if (event.type === 'DELETED') this.#o.cache.delete(key);
    else this.#o.cache.set(key, event.object);
    this.#o.metrics?.cached.set({ resource: this.#o.resource.plural }, this.#o.cache.size);
    this.#o.notify(key);
    return event.object.metadata.resourceVersion;
  }

  /** run loops until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { kube, resource, namespace, logger, metrics } = this.#o;
    const scope = { resource: resource.plural, namespace: namespace ?? '*' };
    let rv: string | undefined;
    while (!signal.aborted) {
      let openedAt = 0;
      let ended = false;
      try {
        if (rv === undefined) rv = await this.#relist(signal);
        const from: string = rv;
        await kube.watch(
          resource,
          namespace,
          from,
          (event) => {
            rv = this.#apply(event) || rv;
          },
          signal,
          {
            labelSelector: this.#o.labelSelector,
            metadataOnly: this.#o.metadataOnly,
            timeoutSeconds: jitteredTimeout(this.#o.watchTimeoutSeconds),
            idleMs: this.#o.idleMs,
            onOpen: () => {
              openedAt = Date.now();
            },
          },
        );
        ended = true;
      } catch (err) {
        if (signal.aborted) break;
        const gone = isKubeError(err, 'SKIFF_KUBE_GONE');
        if (gone) rv = undefined;
        metrics?.watchRestarts.inc({ resource: resource.plural, reason: gone ? 'gone' : 'error' });
        logger.warn({ ...scope, err: String(err), gone, attempt: this.#backoff.attempts }, 'watch failed; retrying');
      }
      const healthy = openedAt > 0 && Date.now() - openedAt >= this.#o.healthyMs;
      if (healthy) this.#backoff.reset();
      if (ended) {
        metrics?.watchRestarts.inc({ resource: resource.plural, reason: 'ended' });
        logger.debug({ ...scope, healthy }, 'watch ended; re-watching');
        if (healthy) continue;
      }
      await sleep(this.#backoff.next(), signal);
    }
  }
}

/** jitteredTimeout spreads watch timeouts over [t, 1.5t) (client-go does [t, 2t)), so watches do not all end together. */
function jitteredTimeout(seconds: number): number {
  return Math.max(1, Math.floor(seconds * (1 + Math.random() / 2)));
}
