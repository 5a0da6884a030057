/**
 * Building heartbeats: what a host tells controllers about itself every few seconds.
 */
import { cpus, freemem, totalmem } from 'node:os';
import type { Heartbeat, PodIdentity, ServiceReport, WorkloadReport } from '../../api/index.js';
import { FEATURE_DRAIN, PROTOCOL_VERSION, parseInterfaceEntry } from '../../api/index.js';
import type { WorkloadStatus } from '../host.js';
import type { HostPlugin } from '../plugin.js';
import type { ServiceState } from '../worker/service.js';

/** HostIdentity is the static part of every heartbeat. */
export interface HostIdentity {
  readonly hostId: string;
  readonly podName?: string | undefined;
  readonly pod?: PodIdentity | undefined;
  readonly httpPort?: number | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly maxWorkloads: number;
  /** namespaces are the namespaces whose workloads the host runs; undefined: every namespace. */
  readonly namespaces?: readonly string[] | undefined;
  /** natsUser is the host's user key for namespace accounts (ADR 0022), when it runs in account mode. */
  readonly natsUser?: string | undefined;
  readonly intervalSeconds: number;
  readonly startedAt: Date;
}

/** toReport turns a host's WorkloadStatus into its wire form (dropping undefined fields). */
export function toReport(status: WorkloadStatus, hosts: readonly string[] = []): WorkloadReport {
  return {
    id: status.id,
    uid: status.uid,
    generation: status.generation,
    ...(status.revision !== undefined ? { revision: status.revision } : {}),
    state: status.state,
    ...(status.message !== undefined ? { message: status.message } : {}),
    ...(status.reason !== undefined ? { reason: status.reason } : {}),
    components: status.components.map((c) => ({ name: c.name, digest: c.digest })),
    hosts: [...hosts],
    ...(status.service ? { service: serviceReport(status.service) } : {}),
  };
}

/** serviceReport is a service's state in its wire form: undefined fields dropped, the message bounded. */
function serviceReport(s: ServiceState): ServiceReport {
  return {
    name: s.name,
    state: s.state,
    restarts: s.restarts,
    ...(s.reason !== undefined ? { reason: s.reason } : {}),
    ...(s.message !== undefined ? { message: s.message.slice(0, 4096) } : {}),
  };
}

/**
 * announcedInterfaces lists what a host provides, sorted: every plugin interface (imports
 * and driven exports) unversioned and at each version the plugin declares, plus `extra`
 * entries (a versioned extra is announced unversioned too).
 */
export function announcedInterfaces(plugins: readonly HostPlugin[], extra: readonly string[] = []): string[] {
  const out = new Set<string>();
  for (const p of plugins) {
    for (const iface of [...p.imports, ...(p.exports ?? [])]) {
      out.add(iface);
      for (const v of p.versions ?? []) out.add(`${iface}@${v}`);
    }
  }
  for (const entry of extra) {
    out.add(entry);
    out.add(parseInterfaceEntry(entry).name);
  }
  return [...out].sort();
}

/** HeartbeatState is the changing part of a heartbeat. */
export interface HeartbeatState {
  readonly interfaces: readonly string[];
  readonly workloads: readonly WorkloadReport[];
  readonly cordoned: boolean;
  readonly stopping?: boolean | undefined;
  readonly now?: Date | undefined;
  /** services are the host's service threads: how many it gives services, how many they hold. */
  readonly services?: { readonly services: number; readonly maxServices: number } | undefined;
}

/** buildHeartbeat assembles a heartbeat from the host's identity and current state. */
export function buildHeartbeat(identity: HostIdentity, state: HeartbeatState): Heartbeat {
  const podName = identity.pod?.name ?? identity.podName;
  return {
    protocol: PROTOCOL_VERSION,
    hostId: identity.hostId,
    ...(podName ? { podName } : {}),
    ...(identity.pod ? { pod: { ...identity.pod } } : {}),
    labels: { ...identity.labels },
    capacity: {
      maxWorkloads: identity.maxWorkloads,
      // Failed workloads run nothing and hold no slot.
      workloads: state.workloads.filter((w) => w.state !== 'Failed').length,
      cpus: Math.max(1, cpus().length),
      memoryBytes: totalmem(),
      freeMemoryBytes: freemem(),
      ...(state.services ? { services: { max: state.services.maxServices, running: state.services.services } } : {}),
    },
    interfaces: [...new Set(state.interfaces)].sort(),
    ...(identity.httpPort ? { httpPort: identity.httpPort } : {}),
    ...(identity.namespaces ? { namespaces: [...identity.namespaces] } : {}),
    ...(identity.natsUser ? { natsUser: identity.natsUser } : {}),
    cordoned: state.cordoned,
    features: [FEATURE_DRAIN],
    workloads: [...state.workloads],
    intervalSeconds: identity.intervalSeconds,
    ...(state.stopping ? { stopping: true } : {}),
    startedAt: identity.startedAt.toISOString(),
    sentAt: (state.now ?? new Date()).toISOString(),
  };
}
