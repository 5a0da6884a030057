/**
 * The Workload reconciler's decision: a pure function from a snapshot of observed state
 * (the Workload, the live hosts' reports, the operator's requests in flight and remembered
 * failures) to the actions to take and the status to report. No API calls, no NATS, no clock.
 */
import {
  type Condition,
  catalogEntry,
  type NextStep,
  type Placement,
  type Workload,
  type WorkloadReport,
  type WorkloadStatus,
} from '../../api/index.js';
import { type HostCandidate, schedule } from '../scheduler/index.js';
import { buildStatus, isCurrent, isReady } from './status.js';

/** InFlight is a request the operator sent to a host and has no answer to yet. */
export interface InFlight {
  readonly hostId: string;
  readonly op: 'start' | 'stop';
  readonly uid: string;
  readonly generation: number;
  /** revision of the start, when the workload has one. */
  readonly revision?: string | undefined;
}

/** Failure is a remembered failed start of one generation on one host. */
export interface Failure {
  readonly hostId: string;
  readonly uid: string;
  readonly generation: number;
  /** revision of the failed start, when the workload has one. */
  readonly revision?: string | undefined;
  readonly code: string;
  readonly message: string;
  readonly attempts: number;
  /** retryAt is when a retry may be sent (ms on the operator's clock). */
  readonly retryAt: number;
}

/** WorkloadSnapshot is everything the reconciler knows about one workload id. */
export interface WorkloadSnapshot {
  readonly id: string;
  /** workload is the cached object (absent once deleted from the API server). */
  readonly workload: Workload | undefined;
  readonly deleting: boolean;
  readonly hasFinalizer: boolean;
  /** candidates are the live hosts that may take replicas (draining hosts excluded). */
  readonly candidates: readonly HostCandidate[];
  /** draining hosts are live but giving their replicas away: stopped once replacements are ready. */
  readonly draining?: ReadonlySet<string>;
  /** reports are live hosts' reports on this id, whatever their uid. */
  readonly reports: readonly { hostId: string; report: WorkloadReport }[];
  readonly inFlight: readonly InFlight[];
  readonly failures: readonly Failure[];
  /** unrouted says since when a host was taken out of the Workload's endpoints (ms on the clock). */
  readonly unrouted?: ReadonlyMap<string, number>;
  /** routeGraceMs is how long a replica stays up after leaving the endpoints (0: not routed). */
  readonly routeGraceMs?: number;
  /** drainable hosts take a stop with a drain period (they announce FEATURE_DRAIN). */
  readonly drainable?: ReadonlySet<string>;
  /** canSweep: caches synced and NATS healthy — only then may absence mean "stop it". */
  readonly canSweep: boolean;
  readonly now: number;
  /** revision the replicas should run (references.ts), when the workload names ConfigMaps or Secrets. */
  readonly revision?: string | undefined;
  /** blocked holds every start back, e.g. a referenced object is missing (reason ConfigNotFound). */
  readonly blocked?: { readonly reason: string; readonly message: string } | undefined;
}

/** StopWhy says why a replica is stopped (for logs and Events). */
export type StopWhy = 'scale-down' | 'orphan' | 'deleting' | 'moved' | 'failed';

/** Action is one thing the executor does. */
export type Action =
  | { readonly type: 'start'; readonly hostId: string; readonly update: boolean }
  | {
      readonly type: 'stop';
      readonly hostId: string;
      readonly uid: string;
      readonly why: StopWhy;
      /** drainMs: the host keeps serving this long while moving its clients away, then stops. */
      readonly drainMs?: number;
    }
  | { readonly type: 'unroute'; readonly hostId: string }
  | { readonly type: 'addFinalizer' }
  | { readonly type: 'removeFinalizer' };

/** Plan is the reconciler's output. */
export interface Plan {
  readonly actions: Action[];
  /** status to report, or undefined when the object is gone or being deleted. */
  readonly status: WorkloadStatus | undefined;
  /** requeueAfterMs asks for another look (a backoff expiring). */
  readonly requeueAfterMs: number | undefined;
  /** routed are the hosts whose replica should receive traffic (for the Service's endpoints). */
  readonly routed: string[];
}

/** FINALIZER makes deleting a Workload stop it on every host first. */
export const FINALIZER = 'runtime.skiff.dev/stop';

export { WORKLOAD_LABEL } from './status.js';

/** plan decides what to do about one workload id. */
export function plan(s: WorkloadSnapshot): Plan {
  const w = s.workload;
  const uid = w?.metadata.uid;
  const busy = new Set(s.inFlight.map((f) => f.hostId));
  const actions: Action[] = [];
  // Replicas of another uid (a deleted and recreated Workload) or of no Workload at all.
  if (s.canSweep) {
    for (const { hostId, report } of s.reports) {
      if (report.uid !== uid && !busy.has(hostId) && report.state !== 'Stopping') {
        actions.push({ type: 'stop', hostId, uid: report.uid, why: 'orphan' });
      }
    }
  }
  if (!w || uid === undefined) return { actions, status: undefined, requeueAfterMs: undefined, routed: [] };
  const mine = s.reports.filter((r) => r.report.uid === uid);
  if (s.deleting) return planDeletion(s, uid, mine, busy, actions);
  if (!s.hasFinalizer) actions.push({ type: 'addFinalizer' });
  return planRunning(s, w, uid, mine, busy, actions);
}

function planDeletion(
  s: WorkloadSnapshot,
  uid: string,
  mine: readonly { hostId: string; report: WorkloadReport }[],
  busy: ReadonlySet<string>,
  actions: Action[],
): Plan {
  for (const { hostId, report } of mine) {
    if (!busy.has(hostId) && report.state !== 'Stopping') actions.push({ type: 'stop', hostId, uid, why: 'deleting' });
  }
  const waiting = mine.length > 0 || s.inFlight.some((f) => f.uid === uid);
  if (!waiting && s.hasFinalizer) actions.push({ type: 'removeFinalizer' });
  return { actions, status: undefined, requeueAfterMs: undefined, routed: [] };
}

function planRunning(
  s: WorkloadSnapshot,
  w: Workload,
  uid: string,
  mine: readonly { hostId: string; report: WorkloadReport }[],
  busy: ReadonlySet<string>,
  actions: Action[],
): Plan {
  const generation = w.metadata.generation ?? 1;
  const replicas = w.spec.replicas;
  const rolling = w.spec.strategy?.rollingUpdate;
  const maxUnavailable = rolling?.maxUnavailable ?? 0;
  const maxSurge = rolling?.maxSurge ?? 1;
  const reportOn = new Map(mine.map((r) => [r.hostId, r.report]));
  const startsInFlight = s.inFlight.filter((f) => f.op === 'start' && f.uid === uid);
  const failures = s.failures.filter((f) => f.uid === uid && isCurrent(f, generation, s.revision));
  const failureOn = new Map(failures.map((f) => [f.hostId, f]));
  const live = new Set([...s.candidates.map((c) => c.hostId), ...(s.draining ?? [])]);
  const placeable = new Set(s.candidates.map((c) => c.hostId));

  // Hosts that refused this generation with "try elsewhere" are avoided.
  const avoid = new Set(failures.filter((f) => catalogEntry(f.code).next === 'reschedule').map((f) => f.hostId));
  const current = [
    ...new Set([
      ...mine.filter((r) => r.report.state !== 'Stopping').map((r) => r.hostId),
      ...startsInFlight.map((f) => f.hostId),
    ]),
  ].filter((h) => placeable.has(h) && !avoid.has(h));
  const placement = schedule(w, s.candidates, current, { avoid });
  const desired = new Set(placement.hosts);

  let requeue: number | undefined;
  const wake = (at: number) => {
    const ms = Math.max(0, at - s.now);
    requeue = requeue === undefined ? ms : Math.min(requeue, ms);
  };
  let updatesInFlight = startsInFlight.filter((f) => reportOn.has(f.hostId)).length;
  const updateBudget = Math.max(1, maxSurge + maxUnavailable);
  for (const hostId of placement.hosts) {
    if (busy.has(hostId) || s.blocked) continue;
    const report = reportOn.get(hostId);
    const upToDate = report && isCurrent(report, generation, s.revision) && report.state !== 'Failed';
    if (upToDate) continue;
    const failure = failureOn.get(hostId);
    if (failure) {
      const next: NextStep = catalogEntry(failure.code).next;
      if (next === 'terminal') continue;
      if (failure.retryAt > s.now) {
        wake(failure.retryAt);
        continue;
      }
    }
    const update = report !== undefined && report.state !== 'Failed';
    if (update) {
      if (updatesInFlight >= updateBudget) continue;
      updatesInFlight++;
    }
    actions.push({ type: 'start', hostId, update });
  }

  // Replicas no longer wanted: stop them once the desired ones can carry the load.
  const readyDesired = placement.hosts.filter((h) => isReady(reportOn.get(h), generation, s.revision)).length;
  const extras = mine.filter((r) => !desired.has(r.hostId) && r.report.state !== 'Stopping' && !busy.has(r.hostId));
  // maxUnavailable counts against the desired replicas, not against the hosts that fit: with no
  // room for a replacement, a replica on a draining or no-longer-matching host keeps serving.
  const enoughReady = readyDesired >= replicas - maxUnavailable;
  // A served replica leaves the endpoints first and stops after the grace period, so clients
  // stop being sent to it before it stops answering.
  const grace = s.routeGraceMs ?? 0;
  const unrouting = new Set<string>();
  const whyOf = (hostId: string, failed: boolean): StopWhy =>
    failed ? 'failed' : avoid.has(hostId) || s.draining?.has(hostId) ? 'moved' : 'scale-down';
  for (const { hostId, report } of extras) {
    const failed = report.state === 'Failed';
    if (!(failed || enoughReady || !live.has(hostId))) continue;
    if (grace > 0 && !failed && live.has(hostId) && report.state === 'Running') {
      const since = s.unrouted?.get(hostId);
      if (since === undefined) {
        actions.push({ type: 'unroute', hostId });
        unrouting.add(hostId);
        // A host that drains serves the grace period itself, telling its clients to reconnect.
        if (s.drainable?.has(hostId))
          actions.push({ type: 'stop', hostId, uid, why: whyOf(hostId, false), drainMs: grace });
        else wake(s.now + grace);
        continue;
      }
      if (s.now < since + grace) {
        unrouting.add(hostId);
        wake(since + grace);
        continue;
      }
    }
    actions.push({ type: 'stop', hostId, uid, why: whyOf(hostId, failed) });
    unrouting.add(hostId);
  }
  const routed = mine
    .filter((r) => r.report.state === 'Running' && live.has(r.hostId) && !unrouting.has(r.hostId))
    .filter((r) => !s.unrouted?.has(r.hostId) || desired.has(r.hostId))
    .map((r) => r.hostId)
    .sort();

  const status = buildStatus(s, w, generation, reportOn, startsInFlight, failures, placement);
  return { actions, status, requeueAfterMs: requeue, routed };
}

/** conditionsOf returns a status's conditions (for Events on transitions). */
export function conditionsOf(status: WorkloadStatus | undefined): readonly Condition[] {
  return status?.conditions ?? [];
}
