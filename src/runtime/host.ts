/**
 * The host: runs workloads with the plugins it was built with, and hands HTTP requests
 * to them through its HostHandler. Build one with HostBuilder (builder.ts); drive it with HostApi.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { setTimeout as wait } from 'node:timers/promises';
import { reasonOf, type Workload } from '../api/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { HostMetrics } from '../telemetry/metrics.js';
import type { Tracing } from '../telemetry/tracing/provider.js';
import type { Engine } from './engine/engine.js';
import { RouteTakenError, SkiffError, WorkloadNotFoundError } from './errors.js';
import {
  currentStatus,
  type HostApi,
  type HostHandler,
  type HostView,
  type StartOptions,
  type StopOptions,
  type ThreadOptions,
  type WorkloadState,
  type WorkloadStatus,
} from './host-api.js';
import type { HostPlugin } from './plugin.js';
import { SecretValues } from './secret-values.js';
import { ConfigSources, withConfigLayers } from './sources.js';
import { projectSources, type VolumeResolver } from './volumes.js';
import { type PoolStats, WorkerPool } from './worker/pool.js';
import { WorkerSpares } from './worker/spares.js';
import { RunningWorkload, virtualHostOf, type WorkloadDeps } from './workload.js';

export type { HostApi, HostHandler, HostView, StartOptions, StopOptions, ThreadOptions, WorkloadState, WorkloadStatus };

interface Entry {
  status: WorkloadStatus;
  workload?: RunningWorkload | undefined;
  /** draining: a stop with a drain period is under way; the workload still serves (state Stopping). */
  draining?: boolean;
}

/** Claim is a virtual host a workload serves or is starting to serve. */
interface Claim {
  readonly id: string;
  readonly host: string;
}

/** Host runs workloads. */
export class Host implements HostApi, HostView {
  readonly id: string;
  readonly logger: Logger;
  readonly metrics: HostMetrics;
  readonly tracing: Tracing | undefined;
  readonly plugins: readonly HostPlugin[];
  readonly #engine: Engine;
  readonly #handlers: readonly HostHandler[];
  /** workDir is where the host creates its workloads' volumes. */
  readonly workDir: string;
  readonly #ownsWorkDir: boolean;
  readonly #secretDir: string | undefined;
  readonly #volumeResolver: VolumeResolver | undefined;
  readonly #hostPathRoots: readonly string[];
  readonly #defaultMemoryLimit: number | undefined;
  readonly #entries = new Map<string, Entry>();
  readonly #spares = new WorkerSpares();
  readonly #threadOptions: ThreadOptions;
  #pool: WorkerPool | undefined;
  /** #probed remembers the programs that instantiated once, so starts of the same program skip the check. */
  readonly #probed = new Set<string>();
  /** #queues serializes starts and stops of one workload id. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /** #claiming holds the virtual hosts of starts in progress (running workloads' are on their entries). */
  readonly #claiming = new Set<Claim>();
  #started = false;
  /** #halt ends drains early when the host stops. */
  #halt = new AbortController();

  constructor(options: {
    id: string;
    logger: Logger;
    metrics: HostMetrics;
    engine: Engine;
    plugins: HostPlugin[];
    handlers: HostHandler[];
    workDir: string;
    /** ownsWorkDir: the host created workDir and removes it when it stops. */
    ownsWorkDir?: boolean;
    /** secretDir, when set, holds secret volumes instead of workDir. */
    secretDir?: string | undefined;
    volumeResolver?: VolumeResolver | undefined;
    hostPathRoots?: readonly string[];
    defaultMemoryLimit?: number | undefined;
    threads?: ThreadOptions | undefined;
    tracing?: Tracing | undefined;
  }) {
    this.tracing = options.tracing;
    this.id = options.id;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.plugins = options.plugins;
    this.#engine = options.engine;
    this.#handlers = options.handlers;
    this.workDir = options.workDir;
    this.#ownsWorkDir = options.ownsWorkDir ?? false;
    this.#secretDir = options.secretDir;
    this.#volumeResolver = options.volumeResolver;
    this.#hostPathRoots = options.hostPathRoots ?? [];
    this.#defaultMemoryLimit = options.defaultMemoryLimit;
    this.#threadOptions = options.threads ?? {};
  }

  /** threads describes the host's workload threads now (how many, how many components are warm). */
  threads(): PoolStats {
    return this.#pool?.stats() ?? { threads: 0, contexts: 0, leased: 0, queued: 0, services: 0, maxServices: 0 };
  }

  /** interfaces are the WIT interfaces this host's plugins provide. */
  get interfaces(): string[] {
    return this.plugins.flatMap((p) => [...p.imports, ...(p.exports ?? [])]);
  }

  /** start starts the plugins, then the handlers. */
  async start(): Promise<void> {
    for (const p of this.plugins) await p.start?.({ hostId: this.id, logger: this.logger.child({ plugin: p.id }) });
    this.#halt = new AbortController();
    this.#pool = new WorkerPool({ ...this.#threadOptions, logger: this.logger, spawn: () => this.#spares.take() });
    for (const h of this.#handlers) await h.start(this);
    this.#spares.warm();
    this.#engine.warm();
    this.#started = true;
  }

  /** stop stops every workload, the handlers and the plugins. */
  async stop(): Promise<void> {
    this.#halt.abort();
    for (const h of this.#handlers) await h.stop();
    await Promise.all([...this.#entries.keys()].map((id) => this.workloadStop(id).catch(() => undefined)));
    for (const p of this.plugins) await p.stop?.();
    await this.#pool?.close();
    this.#pool = undefined;
    await this.#spares.close();
    await this.#engine.close();
    if (this.#ownsWorkDir) await rm(this.workDir, { recursive: true, force: true });
    this.#started = false;
  }

  running(): RunningWorkload[] {
    return [...this.#entries.values()]
      .filter((e) => (e.status.state === 'Running' || e.draining) && e.workload)
      .map((e) => e.workload!)
      .sort((a, b) => a.startedAt - b.startedAt);
  }

  #serialize<T>(id: string, run: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(id) ?? Promise.resolve();
    const next = previous.then(run, run);
    const settled = next.catch(() => undefined);
    this.#queues.set(id, settled);
    void settled.then(() => {
      if (this.#queues.get(id) === settled) this.#queues.delete(id);
    });
    return next;
  }

  workloadStart(spec: Workload, options: StartOptions = {}): Promise<WorkloadStatus> {
    if (!this.#started) return Promise.reject(new SkiffError('SKIFF_HOST_NOT_STARTED', 'host is not started'));
    const namespace = spec.metadata.namespace ?? 'default';
    return this.#serialize(`${namespace}/${spec.metadata.name}`, () => this.#start(spec, options));
  }

  async #start(spec: Workload, options: StartOptions): Promise<WorkloadStatus> {
    const namespace = spec.metadata.namespace ?? 'default';
    const id = `${namespace}/${spec.metadata.name}`;
    const ref = {
      namespace,
      name: spec.metadata.name,
      uid: spec.metadata.uid ?? randomUUID(),
      generation: spec.metadata.generation ?? 1,
    };
    const previous = this.#entries.get(id);
    if (
      previous?.status.state === 'Running' &&
      previous.status.uid === ref.uid &&
      previous.status.generation === ref.generation &&
      previous.status.revision === options.revision
    ) {
      return currentStatus(previous.status, previous.workload); // idempotent: same uid, generation and revision
    }
    if (previous?.workload && previous.status.uid === ref.uid && previous.status.generation > ref.generation) {
      // A late or retried start of an older generation must not roll the workload back.
      throw new SkiffError(
        'SKIFF_STALE_GENERATION',
        `workload ${id}: generation ${ref.generation} is older than the running generation ${previous.status.generation}`,
      );
    }
    const revision = options.revision === undefined ? {} : { revision: options.revision };
    const base = { id, uid: ref.uid, generation: ref.generation, ...revision, components: [] };
    let claim: Claim | RouteTakenError | undefined;
    const deps: WorkloadDeps = {
      engine: this.#engine,
      plugins: this.plugins,
      logger: this.logger,
      workDir: this.workDir,
      secretDir: this.#secretDir,
      volumeResolver: this.#volumeResolver,
      hostPathRoots: this.#hostPathRoots,
      defaultMemoryLimit: this.#defaultMemoryLimit,
      onEvent: (w, e) => this.metrics.instanceEvents.inc({ workload: w, event: e }),
      pool: this.#pool!,
      hostId: this.id,
      probed: this.#probed,
      tracing: this.tracing,
      services: {
        backoffMs: this.#threadOptions.serviceBackoffMs,
        maxBackoffMs: this.#threadOptions.serviceMaxBackoffMs,
        resetAfterMs: this.#threadOptions.serviceResetAfterMs,
      },
      // A service that restarts or gives up counts in skiff_instance_events_total.
      onServiceChange: (w, s) => {
        if (s.state === 'Restarting') this.metrics.instanceEvents.inc({ workload: w, event: 'service-restart' });
        if (s.state === 'Failed') this.metrics.instanceEvents.inc({ workload: w, event: 'service-failed' });
      },
    };
    let workload: RunningWorkload | undefined;
    let sources: ConfigSources | undefined;
    let secrets: SecretValues | undefined;
    const started = performance.now();
    try {
      if (!previous?.workload) this.#entries.set(id, { status: { ...base, state: 'Starting' } });
      // Config layers and configMap/secret volumes come from the sources the start brought
      // (the virtual host too, when a layer sets it).
      sources = await options.sources?.();
      const effective = withConfigLayers(spec, sources ?? new ConfigSources());
      secrets = SecretValues.resolve(effective, sources ?? new ConfigSources());
      claim = this.#claim(id, virtualHostOf(effective));
      if (claim instanceof RouteTakenError) throw claim;
      workload = new RunningWorkload(effective, ref, deps);
      await workload.start({
        ...(options.baseDir === undefined ? {} : { baseDir: options.baseDir }),
        pullCredentials: options.pullCredentials,
        volumeResolver: sources ? projectSources(sources) : undefined,
        secrets,
      });
    } catch (err) {
      secrets?.wipe(); // a workload that never started zeroes nothing itself
      const e = err as Error & { code?: string };
      const status: WorkloadStatus = { ...base, state: 'Failed', message: e.message, reason: reasonOf(e.code) };
      this.metrics.startFailures.inc({ reason: status.reason ?? 'Unknown' });
      this.logger.error({ workload: id, err: e.message }, 'workload failed to start');
      // A failed replacement leaves the previous generation serving.
      if (!previous?.workload) this.#entries.set(id, { status });
      throw err;
    } finally {
      if (claim && !(claim instanceof RouteTakenError)) this.#claiming.delete(claim);
      sources?.wipe(); // the workload keeps what it needs (volumes on disk, SecretValues)
    }
    // Swap in the new generation, then stop the old one: requests keep being served.
    workload = workload!;
    const status: WorkloadStatus = {
      ...base,
      state: 'Running',
      components: workload.components.map((c) => ({ name: c.spec.name, digest: c.digest })),
    };
    this.#entries.set(id, { status, workload });
    await previous?.workload?.stop();
    this.metrics.instances.set({ workload: id }, workload.components.length);
    this.logger.info({ workload: id, ms: Math.round(performance.now() - started) }, 'workload started');
    return currentStatus(status, workload);
  }

  /**
   * #claim reserves `host` for workload `id` while it starts, or returns a RouteTakenError
   * naming the workload that serves it or is starting to. The same id may claim it again.
   */
  #claim(id: string, host: string | undefined): Claim | RouteTakenError | undefined {
    if (host === undefined) return undefined;
    const owners = [
      ...[...this.#entries.values()]
        .filter((e) => e.workload)
        .map((e) => ({ id: e.status.id, host: e.workload!.virtualHost })),
      ...this.#claiming,
    ];
    const owner = owners.find((o) => o.host === host && o.id !== id);
    if (owner) return new RouteTakenError(host, owner.id);
    const claim = { id, host };
    this.#claiming.add(claim);
    return claim;
  }

  workloadStop(id: string, options: StopOptions = {}): Promise<void> {
    return this.#serialize(id, () => this.#stop(id, options));
  }

  async #stop(id: string, options: StopOptions): Promise<void> {
    const entry = this.#entries.get(id);
    if (!entry) throw new WorkloadNotFoundError(id);
    // Checked in the workload's queue, after any start before it: a stale stop never kills a recreated workload.
    if (options.uid !== undefined && options.uid !== entry.status.uid) {
      throw new SkiffError(
        'SKIFF_UID_MISMATCH',
        `workload ${id} is uid ${entry.status.uid}, not ${options.uid}: not stopped`,
      );
    }
    const workload = entry.workload;
    const drainMs = options.drainMs ?? 0;
    if (drainMs > 0 && workload && entry.status.state === 'Running' && !this.#halt.signal.aborted) {
      // Still routed, reported Stopping: the handlers move its clients away meanwhile.
      entry.draining = true;
      entry.status = { ...entry.status, state: 'Stopping' };
      for (const h of this.#handlers) h.draining?.(workload);
      this.logger.info({ workload: id, drainMs }, 'workload draining');
      const signals = options.signal ? [this.#halt.signal, options.signal] : [this.#halt.signal];
      // Ends early (AbortError, ignored) when the host or the caller stops.
      await wait(drainMs, undefined, { signal: AbortSignal.any(signals) }).catch(() => undefined);
    }
    entry.draining = false;
    entry.status = { ...entry.status, state: 'Stopping' };
    // No longer routed from here on; requests already inside finish (or end) with the stop.
    if (workload) for (const h of this.#handlers) h.stopped?.(workload);
    await workload?.stop();
    this.#entries.delete(id);
    this.metrics.instances.remove({ workload: id });
    this.logger.info({ workload: id }, 'workload stopped');
  }

  workloadStatus(id: string): WorkloadStatus {
    const entry = this.#entries.get(id);
    if (!entry) throw new WorkloadNotFoundError(id);
    return currentStatus(entry.status, entry.workload);
  }

  list(): WorkloadStatus[] {
    return [...this.#entries.values()].map((e) => currentStatus(e.status, e.workload));
  }
}

export { defaultCacheDir, HostBuilder } from './builder.js';
