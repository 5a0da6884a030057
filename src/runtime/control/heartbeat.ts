/**
 * Building heartbeats: what a host tells controllers about itself every few seconds.
 */
import { cpus, freemem, totalmem } from 'node:os';
import type { Heartbeat, WorkloadReport } from '../../api/index.js';
import { PROTOCOL_VERSION } from '../../api/index.js';
import type { WorkloadStatus } from '../host.js';

/** HostIdentity is the static part of every heartbeat. */
export interface HostIdentity {
  readonly hostId: string;
  readonly podName?: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly maxWorkloads: number;
  readonly intervalSeconds: number;
  readonly startedAt: Date;
}

/** toReport turns a host's WorkloadStatus into its wire form (dropping undefined fields). */
export function toReport(status: WorkloadStatus): WorkloadReport {
  return {
    id: status.id,
    uid: status.uid,
    generation: status.generation,
    state: status.state,
    ...(status.message !== undefined ? { message: status.message } : {}),
    ...(status.reason !== undefined ? { reason: status.reason } : {}),
    components: status.components.map((c) => ({ name: c.name, digest: c.digest })),
  };
}

/** buildHeartbeat assembles a heartbeat from the host's identity, interfaces and workloads. */
export function buildHeartbeat(
  identity: HostIdentity,
  interfaces: readonly string[],
  workloads: readonly WorkloadStatus[],
  options: { stopping?: boolean; now?: Date } = {},
): Heartbeat {
  return {
    protocol: PROTOCOL_VERSION,
    hostId: identity.hostId,
    ...(identity.podName ? { podName: identity.podName } : {}),
    labels: { ...identity.labels },
    capacity: {
      maxWorkloads: identity.maxWorkloads,
      workloads: workloads.filter((w) => w.state !== 'Failed').length,
      cpus: Math.max(1, cpus().length),
      memoryBytes: totalmem(),
      freeMemoryBytes: freemem(),
    },
    interfaces: [...new Set(interfaces)].sort(),
    workloads: workloads.map(toReport),
    intervalSeconds: identity.intervalSeconds,
    ...(options.stopping ? { stopping: true } : {}),
    startedAt: identity.startedAt.toISOString(),
    sentAt: (options.now ?? new Date()).toISOString(),
  };
}
