/**
 * ReferenceWatcher knows the resourceVersions of the ConfigMaps and Secrets Workloads name,
 * which is all a revision needs: ConfigMaps through a metadata-only informer over the watched
 * namespaces (list and watch on configmaps); Secrets by polling each named one with a
 * metadata-only GET (`get` only: the operator cannot enumerate Secrets), or with an informer
 * like ConfigMaps when `watchSecrets` is set (instant, but needs list and watch on secrets).
 * No Secret data reaches the operator here; contents are read when a start is sent
 * (payload.ts). A change to an object requeues every Workload of its namespace that names it.
 */
import { type Workload, workloadSpecSchema } from '../../api/index.js';
import type { Logger } from '../../telemetry/logger.js';
import { CONFIGMAPS, Informer, type Kube, SECRETS } from '../kube/index.js';
import { MetadataPoller } from './poller.js';
import { missingMessage, type RefKind, type Resolution, referencesOf, resolve } from './references.js';

/** UNSYNCED_GRACE_MS is how long a workload naming objects waits for them to be known before it says why it waits. */
export const UNSYNCED_GRACE_MS = 10_000;

/** Resolved is a workload's resolution and, when its starts must wait, why. */
export interface Resolved {
  readonly resolution: Resolution;
  readonly blocked?: { readonly reason: string; readonly message: string } | undefined;
}

/**
 * resolveWorkload computes a workload's revision and what holds its starts back: a missing
 * object, or objects not known yet ('unsynced' for a while; after UNSYNCED_GRACE_MS it says
 * so — the operator may lack the permissions). A workload naming nothing never waits;
 * without a watcher every named object is missing.
 */
export function resolveWorkload(watcher: ReferenceWatcher | undefined, w: Workload): Resolved | 'unsynced' {
  const ns = w.metadata.namespace ?? 'default';
  const refs = referencesOf(w.spec);
  if (refs.length === 0) return { resolution: resolve(w, () => undefined) };
  if (watcher) {
    const why = watcher.unknown(ns, refs);
    if (why === 'wait') return 'unsynced';
    if (why !== undefined) {
      return { resolution: resolve(w, () => undefined), blocked: { reason: 'ConfigUnavailable', message: why } };
    }
  }
  const resolution = resolve(w, (kind, name) => watcher?.versionOf(ns, kind, name));
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
  /** watchSecrets follows Secrets with an informer (needs list and watch) instead of polling each named one. */
  readonly watchSecrets?: boolean | undefined;
  /** pollMs is how often a named Secret is read when polling (default 10 s). */
  readonly pollMs?: number | undefined;
}

/** ReferenceWatcher knows the resourceVersions of the ConfigMaps and Secrets workloads name. */
export class ReferenceWatcher {
  readonly #o: ReferenceWatcherOptions;
  readonly #configMaps: Informer;
  readonly #secrets: Informer | undefined;
  readonly #poller: MetadataPoller | undefined;
  #startedAt: number | undefined;
  #retainTimer: NodeJS.Timeout | undefined;
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
    this.#configMaps = make('ConfigMap');
    if (options.watchSecrets) this.#secrets = make('Secret');
    else {
      this.#poller = new MetadataPoller({
        kube: options.kube,
        resource: SECRETS,
        logger: options.logger.child({ poller: 'secrets-metadata' }),
        onChange: (key) => this.#changed('Secret', key),
        pollMs: options.pollMs,
      });
    }
  }

  /** start begins listing, watching and polling. */
  start(): void {
    this.#startedAt ??= Date.now();
    this.#configMaps.start();
    this.#secrets?.start();
    this.#poller?.start();
    // Secrets no Workload names any more are not read again.
    this.#retainTimer = setInterval(() => this.#retain(), this.#o.pollMs ?? 10_000);
    this.#retainTimer.unref();
  }

  /** stop ends the watches and polls. */
  async stop(): Promise<void> {
    clearInterval(this.#retainTimer);
    this.#poller?.stop();
    await Promise.all([this.#configMaps.stop(), this.#secrets?.stop()]);
  }

  /** synced is true once the informers have listed. */
  get synced(): boolean {
    return this.#configMaps.synced && (this.#secrets?.synced ?? true);
  }

  /**
   * unknown says whether every reference is known: undefined when it is, 'wait' while some
   * are not (for less than UNSYNCED_GRACE_MS), else why not. Asking starts reading them.
   */
  unknown(namespace: string, refs: readonly { kind: RefKind; name: string }[]): 'wait' | string | undefined {
    const since = this.#startedAt === undefined ? 0 : Date.now() - this.#startedAt;
    if (!this.synced) {
      if (since < UNSYNCED_GRACE_MS) return 'wait';
      const lists = this.#secrets ? 'ConfigMaps and Secrets' : 'ConfigMaps';
      return `${lists} of namespace ${namespace} are not listed yet (the operator needs list and watch on them)`;
    }
    if (!this.#poller) return undefined;
    let wait = false;
    for (const r of refs.filter((x) => x.kind === 'Secret')) {
      const key = `${namespace}/${r.name}`;
      if (this.#poller.versionOf(key) !== undefined) continue;
      const problem = this.#poller.problem(key, UNSYNCED_GRACE_MS);
      if (problem) return `Secret ${r.name} cannot be read: ${problem}`;
      wait = true;
    }
    return wait ? 'wait' : undefined;
  }

  /** versionOf is the resourceVersion of `kind` `namespace/name`, undefined when it does not exist (or is not known). */
  versionOf(namespace: string, kind: RefKind, name: string): string | undefined {
    const key = `${namespace}/${name}`;
    if (kind === 'Secret' && this.#poller) return this.#poller.versionOf(key) ?? undefined;
    return (kind === 'ConfigMap' ? this.#configMaps : this.#secrets)?.get(key)?.metadata.resourceVersion;
  }

  #retain(): void {
    if (!this.#poller) return;
    const keys = new Set<string>();
    for (const w of this.#o.workloads.list()) {
      const ns = w.metadata.namespace;
      const refs = this.#namedBy(`${ns}/${w.metadata.name}`, w.metadata.resourceVersion, w.spec);
      for (const r of refs) if (r.startsWith('Secret/')) keys.add(`${ns}/${r.slice('Secret/'.length)}`);
    }
    this.#poller.retain(keys);
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
