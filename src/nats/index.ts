/**
 * NATS plumbing shared by the host, `skiff ctl` and the operator: connection settings and
 * connecting (`config.ts`, `connection.ts`), every subject string (`subjects.ts`), the codec
 * that parses messages with zod on receive (`codec.ts`), the controller-side client of the
 * control protocol (`client.ts`) and heartbeat expiry (`hosts.ts`).
 */
export { ControlClient, type ControlClientOptions, ControlError, type StopResult } from './client.js';
export { BadMessageError, decode, encode } from './codec.js';
export { NATS_FLAGS, NATS_USAGE, type NatsSettings, NatsSettingsError, natsSettings } from './config.js';
export {
  type ConnectionEvent,
  type ConnectOptions,
  connectionEvents,
  connectNats,
  NatsConnectError,
  reconnectDelay,
} from './connection.js';
export { DEFAULT_MISSED_HEARTBEATS, type HostChange, type HostEntry, HostTracker } from './hosts.js';
export {
  HEARTBEATS,
  heartbeatSubject,
  hostAdminSubject,
  hostAdminSubjects,
  HOSTS_PING,
  hostToken,
  type HostVerb,
  hostWorkloadSubjects,
  SUBJECT_PREFIX,
  workloadLogSubject,
  workloadSubject,
  type WorkloadVerb,
} from './subjects.js';
