/**
 * Why replicas fit nowhere, in words a person can act on: which label, interface, or how
 * many of the matching hosts have room.
 */
import type { HostCandidate } from './candidate.js';
import type { Demand, Rejection } from './filters.js';
import type { ScheduleReason } from './schedule.js';

/** Verdict is one host and the filter it failed, if any. */
export interface Verdict {
  readonly host: HostCandidate;
  readonly rejection?: Rejection | undefined;
}

const labelsText = (selector: Readonly<Record<string, string>>) =>
  Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** unschedulableReason explains why fewer than `replicas` hosts passed the filters. */
export function unschedulableReason(demand: Demand, replicas: number, verdicts: readonly Verdict[]): ScheduleReason {
  if (verdicts.length === 0) return { reason: 'NoMatchingHosts', message: 'no host is connected' };
  const serving = verdicts.filter((v) => v.rejection?.kind !== 'namespace');
  if (serving.length === 0) {
    return {
      reason: 'NoMatchingHosts',
      message: `no host serves namespace ${demand.namespace} (hosts of a HostConfig serve its namespace and those its spec.namespaces lists)`,
    };
  }
  const selected = serving.filter((v) => v.rejection?.kind !== 'selector');
  const selector = labelsText(demand.selector);
  if (selected.length === 0) {
    return { reason: 'NoMatchingHosts', message: `no host matches hostSelector ${selector}` };
  }
  const matching = selected.filter((v) => v.rejection?.kind !== 'interfaces');
  if (matching.length === 0) {
    const lacking = demand.interfaces.filter((i) =>
      selected.every((v) => v.rejection?.kind === 'interfaces' && v.rejection.missing.includes(i)),
    );
    const where = selector ? ` matching hostSelector ${selector}` : '';
    const message =
      lacking.length > 0
        ? `no host${where} has ${lacking.join(', ')}`
        : `no host${where} has all of ${demand.interfaces.join(', ')}`;
    return { reason: 'NoMatchingHosts', message };
  }
  const count = (kind: Rejection['kind']) => matching.filter((v) => v.rejection?.kind === kind).length;
  const room = matching.filter((v) => v.rejection === undefined).length;
  const [full, cordoned, route, services] = [count('full'), count('cordoned'), count('route'), count('services')];
  const taken = [...new Set(matching.flatMap((v) => (v.rejection?.kind === 'route' ? v.rejection.taken : [])))].sort();
  const n = matching.length;
  if (route > 0 && full === 0 && cordoned === 0 && services === 0) {
    return {
      reason: 'RouteConflict',
      message: `${route} of ${n} matching hosts already serve ${taken.join(', ')} for another workload`,
    };
  }
  const details = [
    full > 0 ? `${full} full` : '',
    services > 0 ? `${services} without a free service thread` : '',
    cordoned > 0 ? `${cordoned} cordoned` : '',
    route > 0 ? `${route} with ${taken.join(', ')} taken` : '',
  ].filter(Boolean);
  const why = details.length > 0 ? ` (${details.join(', ')})` : '';
  const need = room > 0 ? `; ${replicas} replicas need ${replicas} hosts, one replica per host` : '';
  return { reason: 'InsufficientCapacity', message: `${room} of ${n} matching hosts have room${why}${need}` };
}
