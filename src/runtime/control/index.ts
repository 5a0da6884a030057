/**
 * The host side of the control protocol: HostControl answers start / stop / status and
 * cordon / uncordon requests and pings over NATS for one Host and publishes its heartbeats
 * (`server.ts`), built by `heartbeat.ts`; `claims.ts` remembers the virtual hosts each
 * workload claims; `sources.ts` decodes the ConfigMaps, Secrets and pull credentials a start
 * brings (fetching sealed ones from the Object Store). Subjects are in `src/nats/subjects.ts`, messages in `src/api/protocol.ts`.
 */
export { type Incarnation, RouteClaims } from './claims.js';
export {
  announcedInterfaces,
  buildHeartbeat,
  type HeartbeatState,
  type HostIdentity,
  toReport,
} from './heartbeat.js';
export {
  CapacityError,
  type ControlledHost,
  CordonedError,
  HostControl,
  type HostControlOptions,
  NamespaceNotServedError,
} from './server.js';
export { pullCredentialsByComponent, receiveSources } from './sources.js';
