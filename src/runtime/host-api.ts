/**
 * The host's contracts with its callers and handlers: HostApi (how the CLI, the control
 * protocol and tests drive a host), HostView and HostHandler (how the HTTP front sees it),
 * the per-host workload report, and the thread-sharing settings.
 */
import type { Workload } from '../api/index.js';
import type { Tracing } from '../telemetry/tracing/provider.js';
import type { Logger } from '../telemetry/logger.js';
import type { HostMetrics } from '../telemetry/metrics.js';
import type { ConfigSources } from './sources.js';
import type { ServiceState } from './worker/service.js';
import type { RunningWorkload, StartOptions as WorkloadStartOptions } from './workload.js';

/** WorkloadState is where a workload is in its life on a host. */
export type WorkloadState = 'Starting' | 'Running' | 'Stopping' | 'Failed';

/** WorkloadStatus is what a host reports about one workload. */
export interface WorkloadStatus {
  readonly id: string;
  readonly uid: string;
  readonly generation: number;
  /** revision is the start's revision, when it had one: with uid and generation, what runs. */
  readonly revision?: string | undefined;
  readonly state: WorkloadState;
  readonly message?: string | undefined;
  readonly reason?: string | undefined;
  readonly components: readonly { name: string; digest: string }[];
  /** service is the state of the workload's `spec.service`, while it runs here. */
  readonly service?: ServiceState | undefined;
}

/** currentStatus is a workload's status with the state of its service (if it has one) as of now. */
export function currentStatus(status: WorkloadStatus, workload: RunningWorkload | undefined): WorkloadStatus {
  const service = workload?.service?.runner.state;
  return service ? { ...status, service } : status;
}

/** StopOptions are preconditions of a stop. */
export interface StopOptions {
  /** uid, when set, must be the uid of the workload the host has; otherwise the stop is refused (SKIFF_UID_MISMATCH). */
  readonly uid?: string | undefined;
  /**
   * drainMs, when positive, keeps a Running workload serving that long before it stops, while
   * the handlers move its clients away (HTTP answers close their connections). It ends early
   * when the host stops.
   */
  readonly drainMs?: number | undefined;
  /** signal ends the drain early (e.g. the control protocol shutting down). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * HostApi is how callers (the CLI, the control protocol, tests) drive a host. Starts and
 * stops of one workload id run one after the other, in the order they were called.
 */
export interface HostApi {
  workloadStart(workload: Workload, options?: StartOptions): Promise<WorkloadStatus>;
  workloadStop(id: string, options?: StopOptions): Promise<void>;
  workloadStatus(id: string): WorkloadStatus;
  list(): WorkloadStatus[];
}

/** HostView is what a HostHandler sees of its host. */
export interface HostView {
  readonly id: string;
  readonly logger: Logger;
  readonly metrics: HostMetrics;
  /** tracing, when the host traces, is its tracer and span export. */
  readonly tracing?: Tracing | undefined;
  /** running lists workloads that are Running, oldest first. */
  running(): RunningWorkload[];
}

/** HostHandler serves the outside world (HTTP) for the host's workloads. */
export interface HostHandler {
  start(host: HostView): Promise<void>;
  stop(): Promise<void>;
  /** draining is told that a workload still serves but is about to stop: move its clients elsewhere. */
  draining?(workload: RunningWorkload): void;
  /** stopped is told that a workload no longer serves on this host. */
  stopped?(workload: RunningWorkload): void;
}

/** ThreadOptions tune how the host shares workload threads among its components. */
export interface ThreadOptions {
  /** maxThreads bounds the workload threads (default four per CPU, at least eight). */
  readonly maxThreads?: number | undefined;
  /** idleTimeoutMs is how long an unused component keeps its instances, and an empty thread lives (default 60 s). */
  readonly idleTimeoutMs?: number | undefined;
  /** maxContextsPerThread bounds the idle components one thread keeps warm (default 16). */
  readonly maxContextsPerThread?: number | undefined;
  /** maxServiceThreads bounds the threads services take out of maxThreads (default half of it). */
  readonly maxServiceThreads?: number | undefined;
  /** serviceBackoffMs is the wait before a service's first restart, doubling after (default 1 s). */
  readonly serviceBackoffMs?: number | undefined;
  /** serviceMaxBackoffMs caps the wait between a service's restarts (default 60 s). */
  readonly serviceMaxBackoffMs?: number | undefined;
  /** serviceResetAfterMs: a service run this long starts its restart count over (default 10 min). */
  readonly serviceResetAfterMs?: number | undefined;
}

/** StartOptions tune a start on a host: the workload's options plus what the control protocol brought. */
export interface StartOptions extends Omit<WorkloadStartOptions, 'volumeResolver'> {
  /** revision identifies the start beside uid and generation: another revision of a running generation replaces it. */
  revision?: string | undefined;
  /** sources resolves the ConfigMaps and Secrets the start brought; called when the start's turn comes. */
  sources?: (() => Promise<ConfigSources | undefined>) | undefined;
}
