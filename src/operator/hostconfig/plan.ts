/**
 * The HostConfig reconciler's decision, pure: which host pods to create, which to drain
 * (cordon, let the Workload reconciler move their replicas away), which to delete (drained
 * empty, failed, or never heard from), and the status. A template change is a rolling
 * replacement: surge a new pod, wait until its host heartbeats, drain an old one, delete it.
 */
import type { HostConfig, HostConfigStatus } from '../../api/index.js';
import { type ConditionInput, setConditions } from '../conditions.js';
import type { KubeObject } from '../kube/index.js';
import { DRAIN_ANNOTATION, HOSTCONFIG_LABEL, TEMPLATE_HASH_LABEL } from './pod.js';

/** HostView is what the registry says about the host in one pod. */
export interface HostView {
  readonly live: boolean;
  readonly cordoned: boolean;
  /** workloads counts the replicas it still runs (failed ones excluded). */
  readonly workloads: number;
}

/** HostConfigSnapshot is everything the HostConfig reconciler decides from. */
export interface HostConfigSnapshot {
  readonly hc: HostConfig;
  /** hash of the pod template the HostConfig asks for now. */
  readonly hash: string;
  /** pods owned by the HostConfig. */
  readonly pods: readonly KubeObject[];
  /** hostOf says what the registry knows about a pod's host (by pod name and uid). */
  readonly hostOf: (pod: KubeObject) => HostView;
  readonly now: number;
}

/** HostConfigAction is one thing the HostConfig executor does. */
export type HostConfigAction =
  | { readonly type: 'create'; readonly count: number }
  | { readonly type: 'drain'; readonly pod: string }
  | { readonly type: 'cordon'; readonly pod: string }
  | { readonly type: 'delete'; readonly pod: string; readonly uid: string; readonly why: string };

/** HostConfigPlan is the reconciler's output. */
export interface HostConfigPlan {
  readonly actions: HostConfigAction[];
  readonly status: HostConfigStatus;
}

const phase = (p: KubeObject) => (p.status as { phase?: string } | undefined)?.phase;
const draining = (p: KubeObject) => p.metadata.annotations?.[DRAIN_ANNOTATION] !== undefined;

/** planHostConfig decides what to do about one HostConfig's pods. */
export function planHostConfig(s: HostConfigSnapshot): HostConfigPlan {
  const { hc, hash } = s;
  const replicas = hc.spec.replicas;
  const maxSurge = hc.spec.strategy?.rollingUpdate?.maxSurge ?? 1;
  const maxUnavailable = hc.spec.strategy?.rollingUpdate?.maxUnavailable ?? (maxSurge > 0 ? 0 : 1);
  const actions: HostConfigAction[] = [];
  const terminated = s.pods.filter((p) => phase(p) === 'Failed' || phase(p) === 'Succeeded');
  for (const p of terminated) {
    if (!p.metadata.deletionTimestamp)
      actions.push({ type: 'delete', pod: p.metadata.name, uid: p.metadata.uid!, why: `pod ${phase(p)}` });
  }
  const active = s.pods.filter((p) => !p.metadata.deletionTimestamp && !terminated.includes(p));
  const isCurrent = (p: KubeObject) => p.metadata.labels?.[TEMPLATE_HASH_LABEL] === hash;
  const ready = (p: KubeObject) => !draining(p) && s.hostOf(p).live;
  const serving = active.filter((p) => !draining(p));
  const current = serving.filter(isCurrent);
  const old = serving.filter((p) => !isCurrent(p));

  // Draining pods: keep them cordoned; delete once empty (or never heard from).
  for (const p of active.filter(draining)) {
    const host = s.hostOf(p);
    if (!host.live || host.workloads === 0) {
      actions.push({
        type: 'delete',
        pod: p.metadata.name,
        uid: p.metadata.uid!,
        why: host.live ? 'drained' : 'host not heartbeating',
      });
    } else if (!host.cordoned) {
      actions.push({ type: 'cordon', pod: p.metadata.name });
    }
  }

  // Surge: new pods up to replicas (current, not draining), within replicas + maxSurge in total.
  const toCreate = Math.max(0, Math.min(replicas - current.length, replicas + maxSurge - active.length));
  if (toCreate > 0) actions.push({ type: 'create', count: toCreate });

  // Drain old pods (then extra current ones), keeping replicas - maxUnavailable hosts ready.
  const extras = [...current]
    .sort((a, b) => Number(ready(a)) - Number(ready(b)) || s.hostOf(a).workloads - s.hostOf(b).workloads)
    .slice(0, Math.max(0, current.length - replicas));
  const candidates = [...old.sort((a, b) => Number(ready(a)) - Number(ready(b))), ...extras];
  let readyCount = serving.filter(ready).length;
  const floor = Math.max(0, replicas - maxUnavailable);
  for (const p of candidates) {
    const host = s.hostOf(p);
    if (!host.live) {
      // Nothing heard from it: nothing to move.
      actions.push({ type: 'delete', pod: p.metadata.name, uid: p.metadata.uid!, why: 'replaced (host never ready)' });
      continue;
    }
    if (readyCount - 1 < floor) break;
    readyCount--;
    actions.push({ type: 'drain', pod: p.metadata.name });
  }

  const readyReplicas = serving.filter(ready).length;
  const updated = current.length;
  const done = readyReplicas >= replicas && old.length === 0 && active.filter(draining).length === 0;
  const g = { observedGeneration: hc.metadata.generation ?? 1 };
  const msg = `${readyReplicas} of ${replicas} hosts ready, ${updated} on the current template`;
  const conditions: ConditionInput[] = [
    done
      ? { type: 'Ready', status: 'True', reason: 'HostsReady', message: msg, ...g }
      : {
          type: 'Ready',
          status: 'False',
          reason: readyReplicas < replicas ? 'HostsStarting' : 'Replacing',
          message: msg,
          ...g,
        },
    { type: 'Progressing', status: 'True', reason: done ? 'RolloutComplete' : 'Replacing', message: msg, ...g },
    {
      type: 'Reconciling',
      status: done ? 'False' : 'True',
      reason: done ? 'RolloutComplete' : 'Replacing',
      message: msg,
      ...g,
    },
    { type: 'Stalled', status: 'False', reason: 'NotStalled', message: 'no terminal failure', ...g },
  ];
  return {
    actions,
    status: {
      observedGeneration: hc.metadata.generation ?? 1,
      replicas: active.length,
      readyReplicas,
      updatedReplicas: updated,
      selector: `${HOSTCONFIG_LABEL}=${hc.metadata.name}`,
      conditions: setConditions(hc.status?.conditions, conditions, new Date(s.now)),
    },
  };
}
