/**
 * ReferenceWatcher follows the ConfigMaps and Secrets of the watched namespaces with
 * metadata-only informers: the operator learns names and resourceVersions (enough for a
 * revision) without holding or even receiving any Secret's data, and a cluster-wide list of
 * Secrets costs little. Contents are read with a GET when a start is sent (payload.ts).
 * A change to an object requeues every Workload of its namespace that names it.
 */
import { type Workload, workloadSpecSchema } from '../../api/index.js';
import type { Logger } from '../../telemetry/logger.js';
import { CONFIGMAPS, Informer, type Kube, SECRETS } from '../kube/index.js';
import { missingMessage, type RefKind, type Resolution, referencesOf, resolve } from './references.js';

/** UNSYNCED_GRACE_MS is how long a workload naming objects waits for their caches before it says why it waits. */
export const UNSYNCED_GRACE_MS = 10_000;

/** Resolved is a workload's resolution and, when its starts must wait, why. */
export interface Resolved {
  readonly resolution: Resolution;
  readonly blocked?: { readonly reason: string; readonly message: string } | undefined;
}

/**
 * resolveWorkload computes a workload's revision and what holds its starts back: a missing
 * object, or object caches that have not listed ('unsynced' for a while; after
 * UNSYNCED_GRACE_MS it says so — the operator may lack list/watch on configmaps and secrets).
 * A workload naming nothing never waits; without a watcher every named object is missing.
 */
export function resolveWorkload(watcher: ReferenceWatcher | undefined, w: Workload): Resolved | 'unsynced' {
  const ns = w.metadata.namespace ?? 'default';
  const resolution = resolve(w, (kind, name) => watcher?.versionOf(ns, kind, name));
  if (referencesOf(w.spec).length === 0) return { resolution };
  if (watcher && !watcher.synced) {
    if (watcher.unsyncedMs() < UNSYNCED_GRACE_MS) return 'unsynced';
    const message = `ConfigMaps and Secrets of namespace ${ns} are not listed yet (the operator needs get, list and watch on them)`;
    return { resolution: { ...resolution, revision: undefined }, blocked: { reason: 'ConfigUnavailable', message } };
  }
  if (resolution.missing.length === 0) return { resolution };
  return { resolution, blocked: { reason: 'ConfigNotFound', message: missingMessage(ns, resolution.missing) } };
}

/** ReferenceWatcherOptions are the watcher's collaborators. */
export interface ReferenceWatcherOptions {
  readonly kube: Kube;
  /** namespaces to watch; absent or empty watches every namespace. */
  readonly namespaces?: readonly string[] | undefined;
  readonly logger: Logger;
  /** workloads is the Workload informer: who names what. */
  readonly workloads: Informer;
  /** enqueue asks for a reconcile of a Workload key. */
  readonly enqueue: (key: string) => void;
}

/** ReferenceWatcher knows the resourceVersion of every ConfigMap and Secret in the watched namespaces. */
export class ReferenceWatcher {
  readonly #o: ReferenceWatcherOptions;
  readonly #informers: Record<RefKind, Informer>;
  #startedAt: number | undefined;
  /** #named caches, per Workload key and resourceVersion, the objects its spec names (`Kind/name`). */
  readonly #named = new Map<string, { rv: string | undefined; refs: ReadonlySet<string> }>();

  constructor(options: ReferenceWatcherOptions) {
    this.#o = options;
    const namespaces = options.namespaces?.length ? [...options.namespaces] : undefined;
    const make = (kind: RefKind) =>
      new Informer({
        kube: options.kube,
        resource: kind === 'ConfigMap' ? CONFIGMAPS : SECRETS,
        ...(namespaces ? { namespaces } : {}),
        metadataOnly: true,
        logger: options.logger.child({ informer: `${kind.toLowerCase()}s-metadata` }),
        onChange: (key) => this.#changed(kind, key),
      });
    this.#informers = { ConfigMap: make('ConfigMap'), Secret: make('Secret') };
  }

  /** start begins listing and watching. */
  start(): void {
    this.#startedAt ??= Date.now();
    this.#informers.ConfigMap.start();
    this.#informers.Secret.start();
  }

  /** stop ends the watches. */
  async stop(): Promise<void> {
    await Promise.all([this.#informers.ConfigMap.stop(), this.#informers.Secret.stop()]);
  }

  /** synced is true once both kinds have listed. */
  get synced(): boolean {
    return this.#informers.ConfigMap.synced && this.#informers.Secret.synced;
  }

  /** unsyncedMs is how long the watcher has been started without having listed both kinds (0 once synced). */
  unsyncedMs(): number {
    return this.synced || this.#startedAt === undefined ? 0 : Date.now() - this.#startedAt;
  }

  /** versionOf is the resourceVersion of `kind` `namespace/name`, undefined when it does not exist. */
  versionOf(namespace: string, kind: RefKind, name: string): string | undefined {
    return this.#informers[kind].get(`${namespace}/${name}`)?.metadata.resourceVersion;
  }

  #changed(kind: RefKind, key: string): void {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const ref = `${kind}/${key.slice(slash + 1)}`;
    for (const w of this.#o.workloads.list()) {
      if (w.metadata.namespace !== namespace) continue;
      const wkey = `${namespace}/${w.metadata.name}`;
      if (this.#namedBy(wkey, w.metadata.resourceVersion, w.spec).has(ref)) this.#o.enqueue(wkey);
    }
    for (const k of this.#named.keys()) if (!this.#o.workloads.get(k)) this.#named.delete(k);
  }

  #namedBy(key: string, rv: string | undefined, raw: unknown): ReadonlySet<string> {
    const cached = this.#named.get(key);
    if (cached && cached.rv === rv) return cached.refs;
    const spec = workloadSpecSchema.safeParse(raw);
    const refs = new Set(spec.success ? referencesOf(spec.data).map((r) => `${r.kind}/${r.name}`) : []);
    this.#named.set(key, { rv, refs });
    return refs;
  }
}
