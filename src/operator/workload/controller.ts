/**
 * WorkloadController turns a workload key into a snapshot, asks `plan` what to do, and is
 * the one place that does it: finalizers and status through the API server, starts and
 * stops through the control protocol. Requests to hosts are not awaited inside a
 * reconcile; their answers update the registry or the failure memory and requeue the key.
 */

import type { NatsConnection } from '@nats-io/transport-node';
import {
  catalogEntry,
  FEATURE_DRAIN,
  type Workload,
  type WorkloadReport,
  type WorkloadStatus,
  workloadSpecSchema,
} from '../../api/index.js';
import type { ControlClient, StartExtras } from '../../nats/index.js';
import type { OperatorAccounts } from '../nats-accounts.js';
import type { Logger } from '../../telemetry/logger.js';
import type { OperatorMetrics } from '../../telemetry/operator-metrics.js';
import { flipped } from '../conditions.js';
import type { HostRegistry } from '../hosts/registry.js';
import { sameJson } from '../json.js';
import type { EventRecorder, Informer, Kube, KubeObject, ReconcileResult } from '../kube/index.js';
import { WORKLOADS } from '../kube/index.js';
import { candidateFromHeartbeat, type HostCandidate } from '../scheduler/index.js';
import { invalidStatus, parseWorkload, wireWorkload } from './parse.js';
import { buildPayload, StaleReferenceError } from './payload.js';
import { type Action, type Failure, FINALIZER, type InFlight, plan } from './plan.js';
import { type ReferenceWatcher, resolveWorkload } from './reference-watcher.js';
import type { Resolution } from './references.js';
import { RoutePublisher } from './routes.js';
import { servesHttp } from './routing.js';
import { isCurrent } from './status.js';

/** RETRY_BASE_MS and RETRY_MAX_MS bound the backoff between failed starts on one host. */
export const RETRY_BASE_MS = 100;
export const RETRY_MAX_MS = 30_000;
/** STOP_GIVE_UP counts failed stops of a deleted workload after which its finalizer goes anyway. */
const STOP_GIVE_UP = 3;

/** WorkloadControllerOptions are the controller's collaborators (all injected). */
export interface WorkloadControllerOptions {
  readonly kube: Kube;
  readonly informer: Informer;
  readonly registry: HostRegistry;
  readonly control: ControlClient;
  readonly events: EventRecorder;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
  /** enqueue asks for another reconcile of a key. */
  readonly enqueue: (key: string) => void;
  /** canSweep: caches synced and NATS healthy. */
  readonly canSweep: () => boolean;
  /** routeGraceMs: how long a replica keeps serving after leaving the endpoints (default 3 s). */
  readonly routeGraceMs?: number;
  /** draining lists hosts being drained (their pods are being replaced or removed). */
  readonly draining?: () => ReadonlySet<string>;
  readonly now?: () => number;
  /** references knows the ConfigMaps and Secrets workloads name; without it, naming one holds every start back. */
  readonly references?: ReferenceWatcher | undefined;
  /** nc stores contents too large to send inline (the NATS Object Store). */
  readonly nc?: NatsConnection | undefined;
  /**
   * accounts, in NATS account mode (ADR 0022), push each namespace's account before its
   * first start and sign the user JWT each start brings for the host's announced key.
   */
  readonly accounts?: OperatorAccounts | undefined;
}

/** WorkloadController reconciles Workloads onto hosts. */
export class WorkloadController {
  readonly #o: WorkloadControllerOptions;
  readonly #now: () => number;
  readonly #inFlight = new Map<string, InFlight[]>();
  readonly #failures = new Map<string, Failure[]>();
  readonly #stopFailures = new Map<string, number>();
  readonly #unrouted = new Map<string, Map<string, number>>();
  readonly #routes: RoutePublisher;

  constructor(options: WorkloadControllerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#routes = new RoutePublisher(options.kube, options.registry);
  }

  /** inFlightOn counts the starts this operator has sent to a host and not yet seen answered. */
  inFlightOn(hostId: string): number {
    let n = 0;
    for (const list of this.#inFlight.values()) n += list.filter((f) => f.hostId === hostId && f.op === 'start').length;
    return n;
  }

  /** candidates builds the scheduler's view of every live host. */
  candidates(draining: ReadonlySet<string> = new Set()): HostCandidate[] {
    return this.#o.registry
      .hosts()
      .filter((h) => !draining.has(h.heartbeat.hostId))
      .map((h) => {
        const hb = { ...h.heartbeat, workloads: [...h.reports.values()] };
        return candidateFromHeartbeat(hb, this.inFlightOn(h.heartbeat.hostId));
      });
  }

  /** reconcile brings one workload id closer to its spec. */
  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    // Not before every live host has been heard since NATS came up: a replica on a host not
    // heard from yet would look missing and be started twice.
    const warmIn = this.#o.registry.warmInMs();
    if (warmIn !== 0) return { requeueAfterMs: warmIn ?? 1_000 };
    const obj = this.#o.informer.get(key);
    const log = this.#o.logger.child({ workload: key });
    const parsed = obj ? parseWorkload(obj) : undefined;
    if (parsed && !parsed.ok) {
      await this.#writeStatus(obj!, invalidStatus(obj!, parsed.message, this.#now()));
      return undefined;
    }
    const workload = parsed?.workload;
    const resolved = workload ? resolveWorkload(this.#o.references, workload) : undefined;
    if (resolved === 'unsynced') return { requeueAfterMs: 500 };
    const resolution = resolved?.resolution;
    this.#prune(key, workload, resolution?.revision);
    const draining = this.#o.draining?.() ?? new Set<string>();
    const reports = this.#o.registry.reportsFor(key);
    const unrouted = this.#unrouted.get(key) ?? new Map<string, number>();
    for (const h of [...unrouted.keys()]) if (!reports.some((r) => r.hostId === h)) unrouted.delete(h);
    const p = plan({
      id: key,
      draining,
      unrouted,
      routeGraceMs: workload && servesHttp(workload) ? (this.#o.routeGraceMs ?? 3_000) : 0,
      drainable: this.#drainable(),
      workload,
      deleting: obj?.metadata.deletionTimestamp !== undefined,
      hasFinalizer: obj?.metadata.finalizers?.includes(FINALIZER) ?? false,
      candidates: this.candidates(draining),
      reports,
      inFlight: this.#inFlight.get(key) ?? [],
      failures: this.#failures.get(key) ?? [],
      canSweep: this.#o.canSweep(),
      now: this.#now(),
      revision: resolution?.revision,
      blocked: resolved?.blocked,
    });
    const extras = await this.#payload(key, obj, workload, resolution, p.actions, log);
    if (extras === 'stale') return { requeueAfterMs: 250 };
    for (const action of p.actions) {
      if (action.type === 'start' && extras === 'failed') continue;
      if (action.type === 'unroute') {
        unrouted.set(action.hostId, this.#now());
        this.#unrouted.set(key, unrouted);
        continue;
      }
      if (action.type === 'removeFinalizer') await this.#routes.unpublish(key, obj!);
      await this.#act(key, obj, workload, action, log, extras === 'failed' ? {} : (extras ?? {}));
    }
    if (unrouted.size === 0) this.#unrouted.delete(key);
    if (obj && p.status) await this.#writeStatus(obj, p.status);
    if (obj && workload && !obj.metadata.deletionTimestamp) await this.#routes.publish(key, workload, p.routed);
    return p.requeueAfterMs === undefined ? undefined : { requeueAfterMs: p.requeueAfterMs };
  }

  /**
   * #payload reads what this round's starts carry (sources, pull credentials), once for all
   * of them. An object that changed meanwhile means another round ('stale'); a pull secret
   * that is missing or unusable fails those starts like a host would.
   */
  async #payload(
    key: string,
    obj: KubeObject | undefined,
    w: Workload | undefined,
    resolution: Resolution | undefined,
    actions: readonly Action[],
    log: Logger,
  ): Promise<StartExtras | 'stale' | 'failed' | undefined> {
    const starts = actions.filter((a) => a.type === 'start');
    if (!w || !resolution || starts.length === 0) return undefined;
    try {
      const accounts = this.#o.accounts;
      const namespaceNats = accounts && ((ns: string) => accounts.connection(ns));
      return await buildPayload({ kube: this.#o.kube, nc: this.#o.nc, namespaceNats }, w, resolution);
    } catch (err) {
      if (err instanceof StaleReferenceError) {
        log.debug({ err: err.message }, 'referenced objects changed; reconciling again');
        return 'stale';
      }
      const e = err as Error & { code?: string };
      for (const a of starts) {
        this.#failed(key, obj!, w, a.hostId, resolution.revision, e.code ?? 'SKIFF_INTERNAL', e.message, log);
      }
      this.#o.enqueue(key); // show the failure in status now
      return 'failed';
    }
  }

  /** #prune forgets failures and stop counts that belong to an older generation, revision or uid. */
  #prune(key: string, w: Workload | undefined, revision: string | undefined): void {
    const list = this.#failures.get(key);
    if (!list) return;
    const keep = list.filter((f) => f.uid === w?.metadata.uid && isCurrent(f, w?.metadata.generation ?? 1, revision));
    if (keep.length > 0) this.#failures.set(key, keep);
    else this.#failures.delete(key);
  }

  async #act(
    key: string,
    obj: KubeObject | undefined,
    w: Workload | undefined,
    action: Action,
    log: Logger,
    extras: StartExtras,
  ): Promise<void> {
    switch (action.type) {
      case 'addFinalizer':
        await this.#o.kube.setFinalizers(WORKLOADS, obj!, [...(obj!.metadata.finalizers ?? []), FINALIZER]);
        return;
      case 'removeFinalizer':
        await this.#o.kube.setFinalizers(
          WORKLOADS,
          obj!,
          (obj!.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
        );
        log.info('stopped everywhere; finalizer removed');
        return;
      case 'start':
        this.#start(key, obj!, w!, action.hostId, action.update, log, extras ?? {});
        return;
      case 'stop':
        this.#stop(key, obj, action.hostId, action.uid, action.why, log, action.drainMs);
        return;
      case 'unroute':
        return;
    }
  }

  #start(
    key: string,
    obj: KubeObject,
    w: Workload,
    hostId: string,
    update: boolean,
    log: Logger,
    extras: StartExtras,
  ): void {
    const generation = w.metadata.generation ?? 1;
    const uid = w.metadata.uid!;
    const { revision } = extras;
    const flight: InFlight = { hostId, op: 'start', uid, generation, revision };
    this.#track(key, flight);
    log.info({ host: hostId, generation, revision, update }, update ? 'updating on host' : 'starting on host');
    this.#o.events.record(
      obj,
      'Normal',
      update ? 'Updating' : 'Scheduled',
      `${update ? 'updating' : 'starting'} generation ${generation} on host ${hostId}`,
      'Start',
    );
    this.#withNatsCredentials(w, hostId, extras)
      .then((withCredentials) => this.#o.control.start(hostId, wireWorkload(w), undefined, withCredentials))
      .then((report: WorkloadReport) => {
        this.#o.metrics.controlRequests.inc({ verb: 'start', result: 'ok' });
        this.#o.registry.observeReport(hostId, report);
        this.#failures.set(
          key,
          (this.#failures.get(key) ?? []).filter((f) => f.hostId !== hostId),
        );
      })
      .catch((err: Error & { code?: string }) => {
        this.#o.metrics.controlRequests.inc({ verb: 'start', result: 'error' });
        this.#failed(key, obj, w, hostId, revision, err.code ?? 'SKIFF_INTERNAL', err.message, log);
      })
      .finally(() => this.#untrack(key, flight));
  }

  /** #withNatsCredentials adds the namespace's user JWT for the host's key, when the host runs in account mode. */
  async #withNatsCredentials(w: Workload, hostId: string, extras: StartExtras): Promise<StartExtras> {
    const accounts = this.#o.accounts;
    const userKey = this.#o.registry.get(hostId)?.heartbeat.natsUser;
    if (!accounts || !userKey) return extras;
    const natsCredentials = await accounts.startCredentials(w.metadata.namespace ?? 'default', userKey);
    return { ...extras, natsCredentials };
  }

  /** #failed remembers a failed start on a host (backoff per generation and revision) and records a Warning. */
  #failed(
    key: string,
    obj: KubeObject,
    w: Workload,
    hostId: string,
    revision: string | undefined,
    code: string,
    message: string,
    log: Logger,
  ): void {
    const generation = w.metadata.generation ?? 1;
    const previous = (this.#failures.get(key) ?? []).find(
      (f) => f.hostId === hostId && isCurrent(f, generation, revision),
    );
    const attempts = (previous?.attempts ?? 0) + 1;
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempts - 1));
    const failure: Failure = {
      hostId,
      uid: w.metadata.uid!,
      generation,
      ...(revision !== undefined ? { revision } : {}),
      code,
      message,
      attempts,
      retryAt: this.#now() + delay,
    };
    const others = (this.#failures.get(key) ?? []).filter((f) => f.hostId !== hostId);
    this.#failures.set(key, [...others, failure]);
    const entry = catalogEntry(code);
    log.warn({ host: hostId, code, next: entry.next, attempts, err: message }, 'start failed');
    this.#o.events.record(obj, 'Warning', entry.reason, `host ${hostId}: ${message}`, 'Start');
  }

  #stop(
    key: string,
    obj: KubeObject | undefined,
    hostId: string,
    uid: string,
    why: string,
    log: Logger,
    drainMs?: number,
  ): void {
    const flight: InFlight = { hostId, op: 'stop', uid, generation: 0 };
    this.#track(key, flight);
    log.info({ host: hostId, uid, why, drainMs }, drainMs ? 'draining and stopping on host' : 'stopping on host');
    if (obj) this.#o.events.record(obj, 'Normal', 'Stopping', `stopping on host ${hostId} (${why})`, 'Stop');
    const counter = `${key}@${hostId}`;
    this.#o.control
      .stop(hostId, key, uid, drainMs === undefined ? {} : { drainMs })
      .then(() => {
        this.#o.metrics.controlRequests.inc({ verb: 'stop', result: 'ok' });
        this.#o.registry.observeGone(hostId, key);
        this.#stopFailures.delete(counter);
      })
      .catch((err: Error & { code?: string }) => {
        this.#o.metrics.controlRequests.inc({ verb: 'stop', result: 'error' });
        const n = (this.#stopFailures.get(counter) ?? 0) + 1;
        this.#stopFailures.set(counter, n);
        log.warn({ host: hostId, code: err.code, attempts: n, err: err.message }, 'stop failed');
        if (err.code === 'SKIFF_UID_MISMATCH' || (why === 'deleting' && n >= STOP_GIVE_UP)) {
          // Not ours to stop (recreated meanwhile), or a host that cannot answer: the orphan
          // sweep catches anything left once the host talks again.
          this.#o.registry.observeGone(hostId, key);
          this.#stopFailures.delete(counter);
        }
      })
      .finally(() => this.#untrack(key, flight));
  }

  /** #drainable lists the live hosts that take a stop with a drain period. */
  #drainable(): Set<string> {
    const hosts = this.#o.registry.hosts().filter((h) => h.heartbeat.features?.includes(FEATURE_DRAIN));
    return new Set(hosts.map((h) => h.heartbeat.hostId));
  }

  #track(key: string, flight: InFlight): void {
    this.#inFlight.set(key, [...(this.#inFlight.get(key) ?? []), flight]);
  }

  #untrack(key: string, flight: InFlight): void {
    const rest = (this.#inFlight.get(key) ?? []).filter((f) => f !== flight);
    if (rest.length > 0) this.#inFlight.set(key, rest);
    else this.#inFlight.delete(key);
    this.#o.enqueue(key);
  }

  async #writeStatus(obj: KubeObject, status: WorkloadStatus): Promise<void> {
    const before = obj.status as WorkloadStatus | undefined;
    if (sameJson(before, status)) return;
    await this.#o.kube.applyStatus(WORKLOADS, obj.metadata.namespace!, obj.metadata.name, status);
    for (const c of flipped(before?.conditions, status.conditions ?? [])) {
      if (c.type !== 'Ready' && c.type !== 'Stalled') continue;
      if (c.type === 'Stalled' && c.status !== 'True') continue;
      const type = c.status === 'True' && c.type === 'Ready' ? 'Normal' : 'Warning';
      this.#o.events.record(obj, type, c.reason, c.message, 'Reconcile');
    }
  }
}
