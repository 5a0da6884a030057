/**
 * The scheduler's filters: whether one host can take a replica of a workload, and if not,
 * the first reason why. Filters run in a fixed order so that a host is counted once, under
 * the most basic thing it lacks.
 */
import { isWasiCore, providesInterface, type Workload } from '../../api/index.js';
import type { HostCandidate } from './candidate.js';

/** requiredInterfaces lists what a workload needs from a host: `ns:pkg/iface@ver` per grant (no `@` when unversioned), the WASI core left out. */
export function requiredInterfaces(workload: Workload): string[] {
  const out = new Set<string>();
  for (const g of workload.spec.hostInterfaces) {
    for (const iface of g.interfaces) {
      const name = `${g.namespace}:${g.package}/${iface}`;
      if (!isWasiCore(name)) out.add(g.version ? `${name}@${g.version}` : name);
    }
  }
  return [...out].sort();
}

/** Rejection is the first filter a host failed. */
export type Rejection =
  | { readonly kind: 'namespace' }
  | { readonly kind: 'selector' }
  | { readonly kind: 'interfaces'; readonly missing: readonly string[] }
  | { readonly kind: 'cordoned' }
  | { readonly kind: 'full' }
  | { readonly kind: 'services' }
  | { readonly kind: 'route'; readonly taken: readonly string[] };

/** Demand is what one workload asks of every host, computed once per schedule. */
export interface Demand {
  readonly id: string;
  /** namespace is the workload's namespace: a host must serve it. */
  readonly namespace: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly interfaces: readonly string[];
  readonly routes: readonly string[];
  /** service: the workload has a spec.service, which needs a free service thread. */
  readonly service?: boolean | undefined;
}

/** matchesSelector says whether the host carries every label of the selector. */
export function matchesSelector(selector: Readonly<Record<string, string>>, host: HostCandidate): boolean {
  return Object.entries(selector).every(([k, v]) => host.labels[k] === v);
}

/**
 * reject returns why `host` cannot take a replica, or undefined when it can. A host where
 * the workload is already `placed` (or running) needs no free slot, may be cordoned, and
 * its routes are not checked (they include the workload's own claims).
 */
export function reject(demand: Demand, host: HostCandidate, placed: boolean): Rejection | undefined {
  if (host.namespaces && !host.namespaces.has(demand.namespace)) return { kind: 'namespace' };
  if (!matchesSelector(demand.selector, host)) return { kind: 'selector' };
  const missing = demand.interfaces.filter((i) => !providesInterface(host.interfaces, i));
  if (missing.length > 0) return { kind: 'interfaces', missing };
  if (placed || host.running.has(demand.id)) return undefined;
  if (host.cordoned) return { kind: 'cordoned' };
  if (host.workloads + host.inFlight >= host.maxWorkloads) return { kind: 'full' };
  if (demand.service && host.services && host.services.running >= host.services.max) return { kind: 'services' };
  const taken = demand.routes.filter((r) => host.routes.has(r));
  if (taken.length > 0) return { kind: 'route', taken };
  return undefined;
}
