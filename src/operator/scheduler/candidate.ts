/**
 * HostCandidate is the scheduler's view of one host, built from its latest heartbeat plus
 * what the caller knows and the heartbeat does not say yet (starts in flight).
 */
import type { Heartbeat } from '../../api/index.js';

/** HostCandidate is one host as the scheduler sees it. */
export interface HostCandidate {
  readonly hostId: string;
  readonly labels: Readonly<Record<string, string>>;
  /** interfaces are the interfaces the host announces, unversioned and versioned (`wasi:keyvalue/store@0.2.0-draft`). */
  readonly interfaces: readonly string[];
  readonly maxWorkloads: number;
  /** workloads is how many workloads the host reported running. */
  readonly workloads: number;
  /** inFlight counts starts sent to the host and not yet in one of its heartbeats. */
  readonly inFlight: number;
  readonly cordoned: boolean;
  /** namespaces are the only namespaces whose workloads the host runs; undefined: every namespace. */
  readonly namespaces?: ReadonlySet<string> | undefined;
  /**
   * routes are virtual hosts claimed on the host by other workloads. From a heartbeat they
   * are every claim on the host, the scheduled workload's own included: `schedule` therefore
   * ignores routes on a host where that workload is already placed or running.
   */
  readonly routes: ReadonlySet<string>;
  /** digests are the component digests (`sha256:…`) the host already holds. */
  readonly digests: ReadonlySet<string>;
  /** services are the host's service threads (absent from older hosts: then not checked). */
  readonly services?: { readonly max: number; readonly running: number } | undefined;
  /** running are the ids (`namespace/name`) of the workloads the host runs or is starting (not the Failed ones: they hold no slot). */
  readonly running: ReadonlySet<string>;
}

/** candidateFromHeartbeat builds a host's candidate from its heartbeat and the starts in flight to it. */
export function candidateFromHeartbeat(hb: Heartbeat, inFlight = 0): HostCandidate {
  // A Failed workload runs nothing: it holds no slot and serves no virtual host.
  const live = hb.workloads.filter((w) => w.state !== 'Failed');
  return {
    hostId: hb.hostId,
    labels: hb.labels,
    interfaces: hb.interfaces,
    maxWorkloads: hb.capacity.maxWorkloads,
    workloads: hb.capacity.workloads,
    inFlight,
    cordoned: hb.cordoned ?? false,
    ...(hb.namespaces ? { namespaces: new Set(hb.namespaces) } : {}),
    routes: new Set(live.flatMap((w) => w.hosts ?? [])),
    digests: new Set(hb.workloads.flatMap((w) => w.components.map((c) => c.digest))),
    running: new Set(live.map((w) => w.id)),
    ...(hb.capacity.services ? { services: hb.capacity.services } : {}),
  };
}
