/**
 * NATS plumbing shared by the host, `skiff ctl` and the operator: connection settings and
 * connecting (`config.ts`, `connection.ts`), every subject string (`subjects.ts`), the codec
 * that parses messages with zod on receive (`codec.ts`), the controller-side client of the
 * control protocol (`client.ts`), heartbeat expiry (`hosts.ts`) and sealed configuration
 * contents in the Object Store (`sources.ts`), and bounded Object Store reads (`objects.ts`).
 */
export { ControlClient, type ControlClientOptions, ControlError, type StartExtras, type StopResult } from './client.js';
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
  getSealed,
  putSealed,
  type Sealed,
  SOURCE_BUCKET_PREFIX,
  SOURCE_TTL_MS,
  SourceStoreError,
  seal,
  sourceBucket,
  unseal,
} from './sources.js';
export {
  HEARTBEATS,
  HOSTS_PING,
  type HostVerb,
  heartbeatSubject,
  hostAdminSubject,
  hostAdminSubjects,
  hostToken,
  hostWorkloadSubjects,
  SUBJECT_PREFIX,
  type WorkloadVerb,
  workloadLogSubject,
  workloadSubject,
} from './subjects.js';
