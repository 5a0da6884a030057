/**
 * schedule: where the replicas of a workload should run. Filters first (filters.ts), then
 * a deterministic ranking; when not every replica fits, a reason that names what is missing.
 */
import { virtualHostsOf, type Workload, workloadIdOf } from '../../api/index.js';
import type { HostCandidate } from './candidate.js';
import { type Demand, reject, requiredInterfaces } from './filters.js';
import { unschedulableReason } from './reason.js';

/** DEFAULT_TOPOLOGY_KEY is the host label replicas are spread over when hosts carry it. */
export const DEFAULT_TOPOLOGY_KEY = 'topology.kubernetes.io/zone';

/** ScheduleReason says why some replicas fit nowhere (or that none are wanted). */
export interface ScheduleReason {
  readonly reason: 'NoMatchingHosts' | 'InsufficientCapacity' | 'RouteConflict' | 'NoReplicas';
  readonly message: string;
}

/** ScheduleResult is a full desired placement. */
export interface ScheduleResult {
  /** hosts are the host ids the replicas should run on: at most `replicas`, at most one replica each. */
  readonly hosts: string[];
  /** unplaced counts the replicas that fit on no host. */
  readonly unplaced: number;
  readonly reason?: ScheduleReason;
}

/** ScheduleOptions tune one call. */
export interface ScheduleOptions {
  /**
   * avoid are hosts that just refused the workload (e.g. SKIFF_HOST_FULL): they lose their
   * stickiness and are chosen only when no other host fits — a last resort, not an exclusion,
   * so a lone host that refused for a passing reason is retried (with the caller's backoff).
   */
  readonly avoid?: ReadonlySet<string>;
  /** topologyKey is the label to spread replicas over (default DEFAULT_TOPOLOGY_KEY). */
  readonly topologyKey?: string;
}

interface Ranked {
  readonly host: HostCandidate;
  readonly avoided: boolean;
  readonly load: number;
  readonly digestHits: number;
  readonly domain: string;
}

/**
 * schedule places `workload.spec.replicas` replicas on `hosts`, given the hosts it is on now
 * (`current`). A current host that still passes the filters keeps its replica (stickiness);
 * the other replicas go, one per host, to the hosts that spread them best over the topology
 * label, then to the least loaded, then to those already holding the pinned component
 * digests, ties broken by host id.
 */
export function schedule(
  workload: Workload,
  hosts: readonly HostCandidate[],
  current: readonly string[],
  options: ScheduleOptions = {},
): ScheduleResult {
  const replicas = workload.spec.replicas;
  if (replicas <= 0) return { hosts: [], unplaced: 0, reason: { reason: 'NoReplicas', message: 'replicas is 0' } };
  const demand: Demand = {
    id: workloadIdOf(workload),
    namespace: workload.metadata.namespace ?? 'default',
    selector: workload.spec.hostSelector ?? {},
    interfaces: requiredInterfaces(workload),
    routes: virtualHostsOf(workload),
    service: workload.spec.service !== undefined,
  };
  const avoid = options.avoid ?? new Set<string>();
  // A host that just refused the workload is not counted as placed, whatever the caller says.
  const placedNow = new Set(current.filter((h) => !avoid.has(h)));
  const unique = [...new Map(hosts.map((h) => [h.hostId, h] as const)).values()];
  const verdicts = unique.map((host) => ({ host, rejection: reject(demand, host, placedNow.has(host.hostId)) }));
  const feasible = verdicts.filter((v) => v.rejection === undefined).map((v) => v.host);

  const key = options.topologyKey ?? DEFAULT_TOPOLOGY_KEY;
  const spread = feasible.some((h) => h.labels[key] !== undefined);
  const pinned = pinnedDigests(workload);
  const ranked = feasible.map(
    (host): Ranked => ({
      host,
      avoided: avoid.has(host.hostId),
      load: host.workloads + host.inFlight - (host.running.has(demand.id) ? 1 : 0),
      digestHits: pinned.filter((d) => host.digests.has(d)).length,
      domain: spread ? (host.labels[key] ?? '') : '',
    }),
  );
  const perDomain = new Map<string, number>();
  const chosen: Ranked[] = [];
  const pick = (pool: Ranked[], n: number) => {
    const left = [...pool];
    while (chosen.length < n && left.length > 0) {
      let best = 0;
      for (let i = 1; i < left.length; i++) if (better(left[i]!, left[best]!, perDomain)) best = i;
      const [next] = left.splice(best, 1);
      chosen.push(next!);
      perDomain.set(next!.domain, (perDomain.get(next!.domain) ?? 0) + 1);
    }
  };
  // Stickiness first: current hosts that still fit (and did not just refuse) keep their replica.
  const sticky = ranked.filter((r) => placedNow.has(r.host.hostId));
  pick(sticky, replicas);
  const taken = new Set(chosen.map((r) => r.host.hostId));
  pick(
    ranked.filter((r) => !taken.has(r.host.hostId)),
    replicas,
  );

  const placed = chosen.map((r) => r.host.hostId);
  const unplaced = replicas - placed.length;
  if (unplaced === 0) return { hosts: placed, unplaced };
  const reason = unschedulableReason(demand, replicas, verdicts);
  return { hosts: placed, unplaced, reason };
}

/** better says whether `a` should take the next replica before `b`. */
function better(a: Ranked, b: Ranked, perDomain: ReadonlyMap<string, number>): boolean {
  if (a.avoided !== b.avoided) return !a.avoided;
  const da = perDomain.get(a.domain) ?? 0;
  const db = perDomain.get(b.domain) ?? 0;
  if (da !== db) return da < db;
  if (a.load !== b.load) return a.load < b.load;
  if (a.digestHits !== b.digestHits) return a.digestHits > b.digestHits;
  return a.host.hostId < b.host.hostId;
}

/** pinnedDigests are the digests the workload's components pin (`digest:`), if any. */
function pinnedDigests(workload: Workload): string[] {
  const all = workload.spec.service ? [...workload.spec.components, workload.spec.service] : workload.spec.components;
  return [...new Set(all.flatMap((c) => (c.digest ? [c.digest] : [])))];
}
