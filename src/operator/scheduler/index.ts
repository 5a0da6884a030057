/**
 * The scheduler: a pure function from a Workload and the live hosts (as HostCandidates built
 * from their heartbeats) to where its replicas should run, or why they cannot. It imports
 * only `src/api`, makes no calls and keeps no state, so the operator and `skiff ctl start`
 * share it and it is tested with tables. Filters: hostSelector, every granted interface at a
 * compatible version, free capacity counting starts in flight, not cordoned, no other
 * workload claiming the same virtual host, one replica per host. Ranking: current placements
 * stay, then topology spread, fewest workloads, hosts already holding the digests, host id.
 */
export { candidateFromHeartbeat, type HostCandidate } from './candidate.js';
export { matchesSelector, requiredInterfaces } from './filters.js';
export {
  DEFAULT_TOPOLOGY_KEY,
  type ScheduleOptions,
  type ScheduleReason,
  type ScheduleResult,
  schedule,
} from './schedule.js';
