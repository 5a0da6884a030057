/**
 * The Workload status the reconciler reports, pure: replica counts, per-host placements and
 * the conditions (Ready, Scheduled, Available, Progressing, and kstatus's Reconciling and
 * Stalled), with `lastTransitionTime` moving only when a condition flips.
 */
import {
  catalogEntry,
  type Placement,
  type Workload,
  type WorkloadReport,
  type WorkloadStatus,
} from '../../api/index.js';
import { type ConditionInput, setConditions } from '../conditions.js';
import type { ScheduleResult } from '../scheduler/index.js';
import type { Failure, InFlight, WorkloadSnapshot } from './plan.js';

/** WORKLOAD_LABEL is the label key of the scale subresource's selector. */
export const WORKLOAD_LABEL = 'runtime.skiff.dev/workload';

/** isCurrent says whether a report or request is of the generation (and revision, when there is one) wanted now. */
export function isCurrent(
  x: { generation: number; revision?: string | undefined },
  generation: number,
  revision: string | undefined,
): boolean {
  return x.generation === generation && (revision === undefined || x.revision === revision);
}

/** isReady: the report is Running the given generation (and revision, when there is one). */
export function isReady(report: WorkloadReport | undefined, generation: number, revision?: string): boolean {
  return report !== undefined && report.state === 'Running' && isCurrent(report, generation, revision);
}

/** buildStatus computes the Workload's status from what the plan saw and decided. */
export function buildStatus(
  s: WorkloadSnapshot,
  w: Workload,
  generation: number,
  reportOn: ReadonlyMap<string, WorkloadReport>,
  starts: readonly InFlight[],
  failures: readonly Failure[],
  placement: ScheduleResult,
): WorkloadStatus {
  const replicas = w.spec.replicas;
  const maxUnavailable = w.spec.strategy?.rollingUpdate?.maxUnavailable ?? 0;
  const hosts = [...new Set([...reportOn.keys(), ...starts.map((f) => f.hostId), ...placement.hosts])].sort();
  const failureOn = new Map(failures.map((f) => [f.hostId, f]));
  const placements = hosts.map((host) => {
    const report = reportOn.get(host);
    const failure = failureOn.get(host);
    const starting = starts.some((f) => f.hostId === host);
    // A failed start of this generation is Failed even before the next heartbeat says so;
    // a failed update leaves the older generation serving, so that replica stays Running.
    const failedHere = failure !== undefined && !starting && (!report || isCurrent(report, generation, s.revision));
    const state = failedHere ? 'Failed' : (report?.state ?? (starting ? 'Starting' : 'Pending'));
    const entry: Placement = {
      host,
      state,
      ...(report ? { generation: report.generation } : starting ? { generation } : {}),
      ...(report?.revision ? { revision: report.revision } : starting && s.revision ? { revision: s.revision } : {}),
      ...(report?.service ? { service: report.service } : {}),
    };
    const reason = failure ? catalogEntry(failure.code).reason : report?.reason;
    const message = failure ? failure.message : report?.message;
    return {
      ...entry,
      ...(reason && (failure || report?.state === 'Failed') ? { reason } : {}),
      ...(message && (failure || report?.state === 'Failed') ? { message: message.slice(0, 4096) } : {}),
    };
  });
  const placed = [...reportOn.values()].filter((r) => r.state !== 'Stopping').length;
  const ready = [...reportOn.values()].filter((r) => r.state === 'Running').length;
  const updated = new Set([
    ...[...reportOn.entries()]
      .filter(([, r]) => isCurrent(r, generation, s.revision) && r.state !== 'Failed')
      .map(([h]) => h),
    ...starts.filter((f) => isCurrent(f, generation, s.revision)).map((f) => f.hostId),
  ]).size;
  const updatedReady = [...reportOn.values()].filter((r) => isReady(r, generation, s.revision)).length;
  const conditions = setConditions(
    w.status?.conditions,
    workloadConditions({
      generation,
      replicas,
      maxUnavailable,
      ready,
      updatedReady,
      placement,
      failures,
      blocked: s.blocked,
    }),
    new Date(s.now),
  );
  return {
    observedGeneration: generation,
    ...(s.revision !== undefined ? { revision: s.revision } : {}),
    replicas: placed,
    readyReplicas: ready,
    updatedReplicas: updated,
    availableReplicas: ready,
    selector: `${WORKLOAD_LABEL}=${w.metadata.name}`,
    conditions,
    placements,
  };
}

function workloadConditions(x: {
  generation: number;
  replicas: number;
  maxUnavailable: number;
  ready: number;
  updatedReady: number;
  placement: ScheduleResult;
  failures: readonly Failure[];
  blocked?: { readonly reason: string; readonly message: string } | undefined;
}): ConditionInput[] {
  const g = { observedGeneration: x.generation };
  const latest = [...x.failures].sort((a, b) => b.attempts - a.attempts)[0];
  const failure = latest ? { ...catalogEntry(latest.code), message: latest.message, hostId: latest.hostId } : undefined;
  const terminal = failure?.next === 'terminal';
  const done = x.updatedReady >= x.replicas;
  const sched = x.placement.reason;
  const scheduled: ConditionInput =
    x.placement.unplaced === 0
      ? {
          type: 'Scheduled',
          status: 'True',
          reason: x.replicas === 0 ? 'ScaledToZero' : 'Scheduled',
          message: `${x.placement.hosts.length} of ${x.replicas} replicas placed`,
          ...g,
        }
      : {
          type: 'Scheduled',
          status: 'False',
          reason: sched?.reason ?? 'Unschedulable',
          message: sched?.message ?? `${x.placement.unplaced} replicas fit on no host`,
          ...g,
        };
  const running = `${x.updatedReady} of ${x.replicas} replicas running generation ${x.generation}`;
  let ready: ConditionInput;
  if (done)
    ready = {
      type: 'Ready',
      status: 'True',
      reason: x.replicas === 0 ? 'ScaledToZero' : 'Running',
      message: running,
      ...g,
    };
  else if (x.blocked)
    ready = {
      type: 'Ready',
      status: 'False',
      reason: x.blocked.reason,
      message: `${running}; ${x.blocked.message}`,
      ...g,
    };
  else if (failure)
    ready = {
      type: 'Ready',
      status: 'False',
      reason: failure.reason,
      message: `${running}; host ${failure.hostId}: ${failure.message}`,
      ...g,
    };
  else if (x.placement.unplaced > 0 && sched)
    ready = { type: 'Ready', status: 'False', reason: sched.reason, message: `${running}; ${sched.message}`, ...g };
  else ready = { type: 'Ready', status: 'False', reason: 'Starting', message: running, ...g };
  const needed = x.replicas === 0 ? 0 : Math.max(1, x.replicas - x.maxUnavailable);
  const available: ConditionInput =
    x.ready >= needed
      ? {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          message: `${x.ready} replicas serving`,
          ...g,
        }
      : {
          type: 'Available',
          status: 'False',
          reason: 'MinimumReplicasUnavailable',
          message: `${x.ready} of ${needed} required replicas serving`,
          ...g,
        };
  let progressing: ConditionInput;
  if (done) progressing = { type: 'Progressing', status: 'True', reason: 'RolloutComplete', message: running, ...g };
  else if (x.blocked)
    progressing = { type: 'Progressing', status: 'False', reason: x.blocked.reason, message: x.blocked.message, ...g };
  else if (failure)
    progressing = {
      type: 'Progressing',
      status: 'False',
      reason: failure.reason,
      message: `host ${failure.hostId}: ${failure.message}`,
      ...g,
    };
  else progressing = { type: 'Progressing', status: 'True', reason: 'RollingOut', message: running, ...g };
  // kstatus (Flux, kubectl wait --for): Reconciling while work remains, Stalled when it cannot proceed.
  const reconciling: ConditionInput =
    done || terminal
      ? {
          type: 'Reconciling',
          status: 'False',
          reason: done ? 'RolloutComplete' : failure!.reason,
          message: done ? running : 'waiting for a spec change',
          ...g,
        }
      : { type: 'Reconciling', status: 'True', reason: ready.reason, message: ready.message, ...g };
  const stalled: ConditionInput = terminal
    ? {
        type: 'Stalled',
        status: 'True',
        reason: failure!.reason,
        message: `host ${failure!.hostId}: ${failure!.message}`,
        ...g,
      }
    : { type: 'Stalled', status: 'False', reason: 'NotStalled', message: 'no terminal failure', ...g };
  return [ready, scheduled, available, progressing, reconciling, stalled];
}
