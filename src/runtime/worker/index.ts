/**
 * The main-thread side of the workload threads: `pool.ts` leases threads to components
 * (one component per thread at a time) and shrinks when idle, `thread.ts` wraps one
 * thread, `runner.ts` runs one component's calls and owns their timeouts,
 * `bridge-server.ts` serves a context's plugin calls, `spares.ts` keeps a thread started
 * ahead of time, `service.ts` runs a workload's long-running service on threads reserved
 * for it. It talks to `../guest` through `../channel` messages only.
 */
export { BridgeServer } from './bridge-server.js';
export {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONTEXTS,
  DEFAULT_MAX_THREADS,
  type Lease,
  MAX_PROGRAMS_PER_THREAD,
  type PoolOptions,
  type PoolStats,
  ServiceCapacityError,
  type ThreadReservation,
  WorkerPool,
} from './pool.js';
export { ComponentRunner, GuestError, type RunnerEvent, type RunnerOptions } from './runner.js';
export {
  backoffDelay,
  type ServiceOptions,
  ServiceRunner,
  ServiceStartError,
  type ServiceState,
} from './service.js';
export { spawnWorker, WorkerSpares } from './spares.js';
export { type CallSink, type Tenant, WorkloadThread } from './thread.js';
