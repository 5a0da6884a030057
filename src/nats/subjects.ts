/**
 * Every NATS subject Skiff uses, in one place. Hosts listen on `skiff.host.<id>.…`;
 * controllers listen on the heartbeat wildcard and ping every host at once.
 */
import { HOST_ID_PATTERN } from '../api/index.js';

/** SUBJECT_PREFIX starts every Skiff subject. */
export const SUBJECT_PREFIX = 'skiff';

/** HEARTBEATS matches the heartbeat subject of every host. */
export const HEARTBEATS = `${SUBJECT_PREFIX}.host.*.heartbeat`;

/** HOSTS_PING is a request every host answers with its current heartbeat (discovery without waiting). */
export const HOSTS_PING = `${SUBJECT_PREFIX}.hosts.ping`;

/** WorkloadVerb is a request a host answers about its workloads. */
export type WorkloadVerb = 'start' | 'stop' | 'status';

/** HostVerb is a request a host answers about itself (sibling of its workload requests). */
export type HostVerb = 'cordon' | 'uncordon' | 'credentials';

/** hostToken checks that a host id is one subject token (no '.', '*', '>' or spaces). */
export function hostToken(hostId: string): string {
  if (!HOST_ID_PATTERN.test(hostId)) {
    throw new RangeError(`host id ${JSON.stringify(hostId)} must be letters, digits, "-" or "_"`);
  }
  return hostId;
}

/** heartbeatSubject is where one host publishes its heartbeats. */
export function heartbeatSubject(hostId: string): string {
  return `${SUBJECT_PREFIX}.host.${hostToken(hostId)}.heartbeat`;
}

/** workloadSubject is where one host answers start, stop or status requests. */
export function workloadSubject(hostId: string, verb: WorkloadVerb): string {
  return `${SUBJECT_PREFIX}.host.${hostToken(hostId)}.workload.${verb}`;
}

/** hostWorkloadSubjects matches every workload request of one host. */
export function hostWorkloadSubjects(hostId: string): string {
  return `${SUBJECT_PREFIX}.host.${hostToken(hostId)}.workload.*`;
}

/** hostAdminSubject is where one host answers requests about itself (`skiff.host.<id>.admin.cordon`). */
export function hostAdminSubject(hostId: string, verb: HostVerb): string {
  return `${SUBJECT_PREFIX}.host.${hostToken(hostId)}.admin.${verb}`;
}

/** hostAdminSubjects matches every request of one host about itself. */
export function hostAdminSubjects(hostId: string): string {
  return `${SUBJECT_PREFIX}.host.${hostToken(hostId)}.admin.*`;
}

/** workloadLogSubject is where a workload's wasi:logging lines are published (`skiff ctl logs`). */
export function workloadLogSubject(namespace: string, name: string): string {
  return `${SUBJECT_PREFIX}.logs.${token(namespace)}.${token(name)}`;
}

/** token makes a Kubernetes name one subject token ('.' and other separators become '_'). */
function token(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_');
}
