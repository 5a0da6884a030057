/**
 * The host side of the control protocol: HostControl answers start / stop / status requests
 * and pings over NATS for one Host and publishes its heartbeats (`server.ts`), built by
 * `heartbeat.ts`. Subjects are in `src/nats/subjects.ts`, messages in `src/api/protocol.ts`.
 */
export { buildHeartbeat, type HostIdentity, toReport } from './heartbeat.js';
export { CapacityError, type ControlledHost, HostControl, type HostControlOptions } from './server.js';
