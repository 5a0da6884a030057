/**
 * A workload running on a host: for each component, load → verify grants → bind plugins
 * → prepare → start a worker. Starting is all-or-nothing: if one component fails, every
 * piece already started is stopped again and the error names the component and reason.
 */
import type { ComponentSpec, Workload } from '../api/index.js';
import { parseQuantity } from '../api/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { InterfaceShape } from './channel/bridge.js';
import type { ComponentProgram, HttpRequestData, HttpResponseData, LocalPlugin } from './channel/messages.js';
import type { Engine } from './engine/engine.js';
import { ASYNC_IO_IMPORTS, asyncImportNames, shapeOf } from './engine/names.js';
import type { PullCredentials } from './engine/source.js';
import { NoExportError, NotGrantedError, SkiffError } from './errors.js';
import { planGrants } from './grants.js';
import type { HostPlugin, ImportFragment, PluginBinding, WorkloadRef } from './plugin.js';
import { type MaterializedVolumes, materializeVolumes, type VolumeResolver } from './volumes.js';
import type { WorkerPool } from './worker/pool.js';
import { ComponentRunner, type RunnerEvent } from './worker/runner.js';

/** DEFAULT_TIMEOUT_MS bounds one invocation when the component sets no limit. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** DEFAULT_MAX_CONCURRENCY is the instance pool size when the component sets no limit. */
export const DEFAULT_MAX_CONCURRENCY = 8;

/** WorkloadDeps is what a workload needs from its host. */
export interface WorkloadDeps {
  engine: Engine;
  plugins: readonly HostPlugin[];
  logger: Logger;
  workDir: string;
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
}

/** RunningComponent is one started component of a workload. */
export interface RunningComponent {
  readonly spec: ComponentSpec;
  readonly digest: string;
  readonly exports: readonly string[];
  readonly runner: ComponentRunner;
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
  readonly startedAt = Date.now();
  readonly #deps: WorkloadDeps;
  readonly #abort = new AbortController();
  #volumes: MaterializedVolumes | undefined;

  constructor(spec: Workload, ref: WorkloadRef, deps: WorkloadDeps) {
    this.spec = spec;
    this.ref = ref;
    this.id = `${ref.namespace}/${ref.name}`;
    this.#deps = deps;
  }

  /** start brings every component up, or fails and leaves nothing running. */
  async start(options: StartOptions = {}): Promise<void> {
    try {
      const { spec } = this.spec;
      this.#volumes = await materializeVolumes(this.ref.namespace, spec.volumes, this.#deps.workDir, {
        resolver: options.volumeResolver ?? this.#deps.volumeResolver,
        hostPathRoots: this.#deps.hostPathRoots ?? [],
        prefix: this.ref.uid,
      });
      for (const component of spec.components) {
        this.components.push(await this.#startComponent(component, options));
      }
      for (const c of this.components) for (const b of c.bindings) await b.ready?.();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async #startComponent(spec: ComponentSpec, options: StartOptions): Promise<RunningComponent> {
    const { engine, plugins } = this.#deps;
    const label = `workload ${this.id} component "${spec.name}"`;
    const logger = this.#deps.logger.child({ workload: this.id, component: spec.name });
    const { image, digest, imagePullSecret, imagePullPolicy } = spec;
    // A component naming an imagePullSecret pulls with what the start brought for it, or with nothing.
    const pullCredentials = imagePullSecret ? options.pullCredentials?.get(spec.name) : undefined;
    const ref = { image, digest, imagePullSecret, imagePullPolicy, pullCredentials, baseDir: options.baseDir };
    const loaded = await engine.load(ref, this.#abort.signal).catch((err) => {
      throw wrap(err, `component "${spec.name}": `);
    });
    if (loaded.exports.length === 0) throw new NoExportError(spec.name);
    const plan = planGrants(loaded.imports, this.spec.spec.hostInterfaces, plugins);
    if (plan.missing.length > 0) throw new NotGrantedError(spec.name, plan.missing);

    let runner: ComponentRunner | undefined;
    const bindings: PluginBinding[] = [];
    const fragment: ImportFragment = {};
    const shapes: Record<string, InterfaceShape> = {};
    const asyncImports = [...ASYNC_IO_IMPORTS];
    const local: LocalPlugin[] = [];
    try {
      for (const { plugin, interfaces, grants } of plan.bindings) {
        const binding = await plugin.bind({
          workload: this.ref,
          component: spec,
          grants,
          interfaces,
          logger: logger.child({ plugin: plugin.id }),
          signal: this.#abort.signal,
          invoke: (iface, fn, args) => {
            if (!runner) return Promise.reject(new SkiffError('SKIFF_NOT_STARTED', `${label} is not started`));
            return runner.invoke(iface, fn, args);
          },
        });
        bindings.push(binding);
        const thread = binding.thread ?? plugin.thread;
        if (thread) local.push({ id: plugin.id, thread, interfaces: [...interfaces], grants: [...grants] });
        for (const [iface, members] of Object.entries(binding.imports)) {
          if (!interfaces.has(iface)) continue;
          fragment[iface] = members;
          shapes[iface] = shapeOf(members);
          asyncImports.push(...asyncImportNames(iface, shapes[iface]!));
        }
      }
      const memoryLimit = spec.limits?.memory ? parseQuantity(spec.limits.memory) : this.#deps.defaultMemoryLimit;
      // Nothing can block when the component reaches no plugin and cannot poll: skip JSPI.
      const mayWait = plan.bindings.length > 0 || loaded.imports.some((i) => i.unversioned === 'wasi:io/poll');
      const prepared = await engine.prepare(loaded, { asyncImports: mayWait ? asyncImports : [], memoryLimit });
      const preopens = (spec.volumeMounts ?? []).map((m) => ({
        guestPath: m.mountPath,
        hostPath: this.#volumes!.dirs.get(m.name)!,
        readOnly: (m.readOnly ?? false) || this.#volumes!.readOnly.has(m.name),
      }));
      const httpGrant = this.spec.spec.hostInterfaces.find(
        (h) => h.namespace === 'wasi' && h.package === 'http' && h.interfaces.includes('outgoing-handler'),
      );
      const program: ComponentProgram = {
        moduleUrl: prepared.moduleUrl,
        modules: prepared.modules,
        shapes,
        wasi: { env: Object.entries(spec.environment ?? {}), args: spec.args ?? [], preopens },
        outgoingHosts: (httpGrant?.config?.allowedHosts ?? '').split(',').filter((h) => h.trim() !== ''),
        maxInstances: spec.limits?.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
        label,
        local,
        bind: { hostId: this.#deps.hostId, workload: this.ref, component: spec },
      };
      // Everything instantiation depends on: starts that share it instantiate once, to check.
      const { modules: _modules, label: _label, bind: _bind, ...probed } = program;
      runner = new ComponentRunner({
        logger,
        fragment,
        program,
        pool: this.#deps.pool,
        timeoutMs: spec.limits?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        probed: this.#deps.probed,
        probeKey: JSON.stringify({ ...probed, memoryLimit }),
        onEvent: (e) => this.#deps.onEvent?.(this.id, e),
      });
      await runner.start();
      return { spec, digest: loaded.digest, exports: loaded.exports, runner, bindings };
    } catch (err) {
      await runner?.stop();
      for (const b of bindings) await b.close?.();
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
    for (const c of this.components.splice(0)) {
      for (const b of c.bindings) {
        try {
          await b.close?.();
        } catch (err) {
          this.#deps.logger.warn({ err, workload: this.id }, 'plugin binding failed to close');
        }
      }
      await c.runner.stop();
    }
    await this.#volumes?.dispose();
    this.#volumes = undefined;
  }
}

/** virtualHostOf returns the host name a workload's `wasi:http` grant serves (`config.host`, lowercase), if any. */
export function virtualHostOf(workload: Workload): string | undefined {
  const grant = workload.spec.hostInterfaces.find((h) => h.namespace === 'wasi' && h.package === 'http');
  return grant?.config?.host?.toLowerCase();
}

function wrap(err: unknown, prefix: string): Error {
  if (err instanceof SkiffError) {
    err.message = prefix + err.message;
    return err;
  }
  return err instanceof Error ? err : new Error(String(err));
}
