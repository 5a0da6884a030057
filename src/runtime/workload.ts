/**
 * A workload running on a host: for each component, load → verify grants → bind plugins
 * → prepare → start a worker. Starting is all-or-nothing: if one component fails, every
 * piece already started is stopped again and the error names the component and reason.
 */
import type { ComponentSpec, ServiceSpec, Workload } from '../api/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { Tracing } from '../telemetry/tracing/provider.js';
import type { HttpRequestData, HttpResponseData } from './channel/messages.js';
import { DEFAULT_MAX_CONCURRENCY, type PrepareContext, prepareComponent } from './component.js';
import type { Engine } from './engine/engine.js';
import type { PullCredentials } from './engine/source.js';
import { NoExportError, NoRunExportError, SkiffError } from './errors.js';
import type { HostPlugin, PluginBinding, WorkloadRef } from './plugin.js';
import type { SecretValues } from './secret-values.js';
import { type MaterializedVolumes, materializeVolumes, type VolumeResolver } from './volumes.js';
import { LoopbackHub } from './worker/loopback.js';
import type { WorkerPool } from './worker/pool.js';
import { ComponentRunner, type RunnerEvent } from './worker/runner.js';
import { ServiceRunner, type ServiceState } from './worker/service.js';

export { DEFAULT_MAX_CONCURRENCY };

/** DEFAULT_TIMEOUT_MS bounds one invocation when the component sets no limit. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** DEFAULT_MAX_RESTARTS is how often a service is restarted when its spec sets no maxRestarts. */
export const DEFAULT_MAX_RESTARTS = 3;
/** DEFAULT_SERVICE_BACKOFF_MS is the wait before a service's first restart (it doubles with each restart). */
export const DEFAULT_SERVICE_BACKOFF_MS = 1_000;
/** DEFAULT_SERVICE_MAX_BACKOFF_MS caps the wait between a service's restarts. */
export const DEFAULT_SERVICE_MAX_BACKOFF_MS = 60_000;
/** DEFAULT_SERVICE_RESET_MS: a service run this long was healthy; its restarts in a row start over (10 min). */
export const DEFAULT_SERVICE_RESET_MS = 600_000;

/** ServiceSettings tune how a host restarts services. */
export interface ServiceSettings {
  /** backoffMs is the wait before the first restart (default DEFAULT_SERVICE_BACKOFF_MS). */
  readonly backoffMs?: number | undefined;
  /** maxBackoffMs caps the wait between restarts (default DEFAULT_SERVICE_MAX_BACKOFF_MS). */
  readonly maxBackoffMs?: number | undefined;
  /** resetAfterMs is how long a run must last to start the restart count over (default DEFAULT_SERVICE_RESET_MS). */
  readonly resetAfterMs?: number | undefined;
}

/** WorkloadDeps is what a workload needs from its host. */
export interface WorkloadDeps {
  engine: Engine;
  plugins: readonly HostPlugin[];
  logger: Logger;
  workDir: string;
  /** secretDir, when set, holds secret volumes instead of workDir (memory-backed in host pods). */
  secretDir?: string | undefined;
  volumeResolver?: VolumeResolver | undefined;
  onEvent?: (workload: string, event: RunnerEvent) => void;
  /** pool is the host's workload threads, shared by every component. */
  pool: WorkerPool;
  /** probed remembers the programs that instantiated once already (shared by the host). */
  probed?: Set<string> | undefined;
  /** hostId names the host (plugin copies in workload threads learn it). */
  hostId: string;
  /** defaultMemoryLimit caps each instance's memory (bytes) when the component sets no limit. */
  defaultMemoryLimit?: number | undefined;
  /** hostPathRoots are the host directories hostPath volumes may name; none allowed by default. */
  hostPathRoots?: readonly string[] | undefined;
  /** tracing, when the host traces, receives the spans workload threads collect. */
  tracing?: Tracing | undefined;
  /** services tune service restarts. */
  services?: ServiceSettings | undefined;
  /** onServiceChange is told each new state of a workload's service. */
  onServiceChange?: ((workload: string, state: ServiceState) => void) | undefined;
}

/** RunningComponent is one started component of a workload. */
export interface RunningComponent {
  readonly spec: ComponentSpec;
  readonly digest: string;
  readonly exports: readonly string[];
  readonly runner: ComponentRunner;
  readonly bindings: readonly PluginBinding[];
}

/** RunningService is the started service of a workload. */
export interface RunningService {
  readonly spec: ServiceSpec;
  readonly digest: string;
  readonly runner: ServiceRunner;
  readonly bindings: readonly PluginBinding[];
}

/** StartOptions tune a workload start. */
export interface StartOptions {
  /** baseDir resolves relative file:// images (the manifest's folder). */
  baseDir?: string;
  /** volumeResolver provides this start's configMap and secret volumes (the host's own otherwise). */
  volumeResolver?: VolumeResolver | undefined;
  /** pullCredentials are what components naming an imagePullSecret pull with, by component name (nothing else). */
  pullCredentials?: ReadonlyMap<string, PullCredentials> | undefined;
  /** secrets are the values of the workload's `wasmcloud:secrets` grants; the workload zeroes them when it stops. */
  secrets?: SecretValues | undefined;
}

function exportsInterface(exports: readonly string[], iface: string): boolean {
  return exports.some((e) => e === iface || e.startsWith(`${iface}@`));
}

/** RunningWorkload is a started workload: its components, bindings and volumes. */
export class RunningWorkload {
  readonly id: string;
  readonly ref: WorkloadRef;
  readonly spec: Workload;
  readonly components: RunningComponent[] = [];
  /** service is the workload's running service, if it has one. */
  service: RunningService | undefined;
  readonly startedAt = Date.now();
  readonly #deps: WorkloadDeps;
  readonly #abort = new AbortController();
  /** #connections counts the workload's open sockets across every thread (a SharedArrayBuffer). */
  readonly #connections = new Int32Array(new SharedArrayBuffer(4));
  /** #loopback is the workload's virtual loopback: there only when a service may listen on it. */
  #loopback: LoopbackHub | undefined;
  #volumes: MaterializedVolumes | undefined;
  #secrets: SecretValues | undefined;

  constructor(spec: Workload, ref: WorkloadRef, deps: WorkloadDeps) {
    this.spec = spec;
    this.ref = ref;
    this.id = `${ref.namespace}/${ref.name}`;
    this.#deps = deps;
  }

  /** secrets are the values of the workload's `wasmcloud:secrets` grants, zeroed once it stops (for inspection). */
  get secrets(): SecretValues | undefined {
    return this.#secrets;
  }

  /** start brings every component up, or fails and leaves nothing running. */
  async start(options: StartOptions = {}): Promise<void> {
    this.#secrets = options.secrets;
    try {
      const { spec } = this.spec;
      this.#volumes = await materializeVolumes(this.ref.namespace, spec.volumes, this.#deps.workDir, {
        resolver: options.volumeResolver ?? this.#deps.volumeResolver,
        hostPathRoots: this.#deps.hostPathRoots ?? [],
        secretDir: this.#deps.secretDir,
        prefix: this.ref.uid,
      });
      if (spec.service) this.#loopback = new LoopbackHub();
      for (const component of spec.components) {
        this.components.push(await this.#startComponent(component, options));
      }
      for (const c of this.components) for (const b of c.bindings) await b.ready?.();
      // The service starts last, once the components it may serve are up.
      if (spec.service) this.service = await this.#startService(spec.service, options);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  #context(options: StartOptions, invoke: PrepareContext['invoke'], mayListen = false): PrepareContext {
    return {
      connections: this.#connections,
      mayListen,
      deps: this.#deps,
      workload: this.spec,
      ref: this.ref,
      volumes: this.#volumes!,
      signal: this.#abort.signal,
      baseDir: options.baseDir,
      pullCredentials: options.pullCredentials,
      secretValues: (grant) => this.#secrets?.forGrant(grant) ?? new Map(),
      invoke,
    };
  }

  async #startComponent(spec: ComponentSpec, options: StartOptions): Promise<RunningComponent> {
    let runner: ComponentRunner | undefined;
    const label = `workload ${this.id} component "${spec.name}"`;
    const prepared = await prepareComponent(
      this.#context(options, (iface, fn, args) => {
        if (!runner) return Promise.reject(new SkiffError('SKIFF_NOT_STARTED', `${label} is not started`));
        return runner.invoke(iface, fn, args);
      }),
      spec,
      (exports) => {
        if (exports.length === 0) throw new NoExportError(spec.name);
      },
    );
    try {
      runner = new ComponentRunner({
        logger: prepared.logger,
        fragment: prepared.fragment,
        program: prepared.program,
        pool: this.#deps.pool,
        timeoutMs: spec.limits?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        probed: this.#deps.probed,
        probeKey: prepared.probeKey,
        onEvent: (e) => this.#deps.onEvent?.(this.id, e),
        tracing: this.#deps.tracing,
        loopback: this.#loopback,
      });
      await runner.start();
      const { digest, exports, bindings } = prepared;
      return { spec, digest, exports, runner, bindings };
    } catch (err) {
      await runner?.stop();
      for (const b of prepared.bindings) await b.close?.();
      throw err;
    }
  }

  /** #startService starts the workload's service: its first run has instantiated when this resolves. */
  async #startService(spec: ServiceSpec, options: StartOptions): Promise<RunningService> {
    const label = `workload ${this.id} service "${spec.name}"`;
    const prepared = await prepareComponent(
      this.#context(
        options,
        () => Promise.reject(new SkiffError('SKIFF_NO_EXPORT', `${label} is a service: plugins cannot call it`)),
        true,
      ),
      spec,
      (exports) => {
        if (!exportsInterface(exports, 'wasi:cli/run')) throw new NoRunExportError(spec.name);
      },
    );
    const settings = this.#deps.services ?? {};
    const runner = new ServiceRunner({
      name: spec.name,
      program: { ...prepared.program, maxInstances: 1 },
      fragment: prepared.fragment,
      logger: prepared.logger.child({ service: true }),
      pool: this.#deps.pool,
      maxRestarts: spec.maxRestarts ?? DEFAULT_MAX_RESTARTS,
      backoffMs: settings.backoffMs ?? DEFAULT_SERVICE_BACKOFF_MS,
      maxBackoffMs: settings.maxBackoffMs ?? DEFAULT_SERVICE_MAX_BACKOFF_MS,
      resetAfterMs: settings.resetAfterMs ?? DEFAULT_SERVICE_RESET_MS,
      startTimeoutMs: Math.max(60_000, spec.limits?.timeoutMs ?? 0),
      onChange: (state) => this.#deps.onServiceChange?.(this.id, state),
      loopback: this.#loopback,
    });
    try {
      await runner.start();
      return { spec, digest: prepared.digest, runner, bindings: prepared.bindings };
    } catch (err) {
      await runner.stop();
      for (const b of prepared.bindings) await b.close?.();
      throw err;
    }
  }

  /** httpComponent is the component that serves wasi:http, if the workload may serve HTTP. */
  get httpComponent(): RunningComponent | undefined {
    const granted = this.spec.spec.hostInterfaces.some(
      (h) => h.namespace === 'wasi' && h.package === 'http' && h.interfaces.includes('incoming-handler'),
    );
    if (!granted) return undefined;
    return this.components.find((c) => exportsInterface(c.exports, 'wasi:http/incoming-handler'));
  }

  /** virtualHost is the host name `wasi:http` was granted for (`config.host`), if any. */
  get virtualHost(): string | undefined {
    return virtualHostOf(this.spec);
  }

  /** http serves one request with the workload's HTTP component. */
  http(req: HttpRequestData): Promise<HttpResponseData> {
    const c = this.httpComponent;
    if (!c) return Promise.reject(new SkiffError('SKIFF_NO_HTTP', `workload ${this.id} does not serve HTTP`));
    return c.runner.http(req);
  }

  /** stop closes plugin bindings, stops workers and removes private volumes. */
  async stop(): Promise<void> {
    this.#abort.abort();
    const service = this.service;
    this.service = undefined;
    if (service) {
      await service.runner.stop();
      await closeBindings(service.bindings, this.#deps.logger, this.id);
    }
    for (const c of this.components.splice(0)) {
      await closeBindings(c.bindings, this.#deps.logger, this.id);
      await c.runner.stop();
    }
    this.#loopback?.close();
    await this.#volumes?.dispose();
    this.#volumes = undefined;
    this.#secrets?.wipe();
  }
}

/** virtualHostOf returns the host name a workload's `wasi:http` grant serves (`config.host`, lowercase), if any. */
export function virtualHostOf(workload: Workload): string | undefined {
  const grant = workload.spec.hostInterfaces.find((h) => h.namespace === 'wasi' && h.package === 'http');
  return grant?.config?.host?.toLowerCase();
}

async function closeBindings(bindings: readonly PluginBinding[], logger: Logger, workload: string): Promise<void> {
  for (const b of bindings) {
    try {
      await b.close?.();
    } catch (err) {
      logger.warn({ err, workload }, 'plugin binding failed to close');
    }
  }
}
