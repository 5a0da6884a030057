/**
 * prepareComponent takes one component (or the service) of a workload from its image to a
 * program a workload thread can run: load → verify grants → bind plugins → prepare
 * (transpile, compile) → the ComponentProgram and the import fragment the main thread
 * serves. The runners in `worker/` take it from there.
 */
import type { ComponentSpec, Workload } from '../api/index.js';
import { parseQuantity } from '../api/index.js';
import { mainPluginTracer } from '../telemetry/tracing/plugin-tracer.js';
import type { Logger } from '../telemetry/logger.js';
import type { InterfaceShape } from './channel/bridge.js';
import type { ComponentProgram, LocalPlugin } from './channel/messages.js';
import { ASYNC_IO_IMPORTS, asyncImportNames, shapeOf } from './engine/names.js';
import type { PullCredentials } from './engine/source.js';
import { NotGrantedError, SkiffError } from './errors.js';
import { planGrants } from './grants.js';
import type { BindContext, ImportFragment, PluginBinding, WorkloadRef } from './plugin.js';
import type { MaterializedVolumes } from './volumes.js';
import type { WorkloadDeps } from './workload.js';

/** DEFAULT_MAX_CONCURRENCY is the instance pool size when the component sets no limit. */
export const DEFAULT_MAX_CONCURRENCY = 8;

/** BoundComponent is a component ready to run: its program, what the main thread serves it, its bindings. */
export interface BoundComponent {
  readonly spec: ComponentSpec;
  readonly digest: string;
  readonly exports: readonly string[];
  readonly program: ComponentProgram;
  readonly fragment: ImportFragment;
  readonly bindings: readonly PluginBinding[];
  readonly logger: Logger;
  /** probeKey names everything instantiation depends on: starts that share it instantiate once, to check. */
  readonly probeKey: string;
}

/** PrepareContext is what preparing a component needs from its workload. */
export interface PrepareContext {
  readonly deps: WorkloadDeps;
  readonly workload: Workload;
  readonly ref: WorkloadRef;
  readonly volumes: MaterializedVolumes;
  readonly signal: AbortSignal;
  readonly baseDir?: string | undefined;
  readonly pullCredentials?: ReadonlyMap<string, PullCredentials> | undefined;
  /** connections is the workload's connection count, shared by its components' sockets on every thread. */
  readonly connections: Int32Array;
  /** mayListen: this is the workload's service, which may listen on its virtual loopback. */
  readonly mayListen: boolean;
  /** secretValues gives a plugin the secret values of one of the workload's grants (wasmcloud:secrets). */
  readonly secretValues: BindContext['secretValues'];
  /** invoke calls an export of the running component, for plugins that deliver to the guest. */
  readonly invoke: (iface: string, fn: string, args: readonly unknown[]) => Promise<unknown>;
}

/**
 * prepareComponent loads, checks, binds and prepares one component; on failure it closes
 * what it bound. `checkExports` may refuse the component by what it exports, before any binding.
 */
export async function prepareComponent(
  ctx: PrepareContext,
  spec: ComponentSpec,
  checkExports: (exports: readonly string[]) => void,
): Promise<BoundComponent> {
  const { engine, plugins } = ctx.deps;
  const id = `${ctx.ref.namespace}/${ctx.ref.name}`;
  const label = `workload ${id} component "${spec.name}"`;
  const logger = ctx.deps.logger.child({ workload: id, component: spec.name });
  const { image, digest, imagePullSecret, imagePullPolicy } = spec;
  // A component naming an imagePullSecret pulls with what the start brought for it, or with nothing.
  const pullCredentials = imagePullSecret ? ctx.pullCredentials?.get(spec.name) : undefined;
  const ref = { image, digest, imagePullSecret, imagePullPolicy, pullCredentials, baseDir: ctx.baseDir };
  const loaded = await engine.load(ref, ctx.signal).catch((err) => {
    throw wrap(err, `component "${spec.name}": `);
  });
  checkExports(loaded.exports);
  const plan = planGrants(loaded.imports, ctx.workload.spec.hostInterfaces, plugins);
  if (plan.missing.length > 0) throw new NotGrantedError(spec.name, plan.missing);

  const bindings: PluginBinding[] = [];
  const fragment: ImportFragment = {};
  const shapes: Record<string, InterfaceShape> = {};
  const asyncImports = [...ASYNC_IO_IMPORTS];
  const local: LocalPlugin[] = [];
  try {
    const tracer = ctx.deps.tracing && mainPluginTracer(ctx.deps.tracing);
    for (const { plugin, interfaces, grants } of plan.bindings) {
      const binding = await plugin.bind({
        workload: ctx.ref,
        component: spec,
        grants,
        interfaces,
        logger: logger.child({ plugin: plugin.id }),
        signal: ctx.signal,
        tracer,
        secretValues: ctx.secretValues,
        invoke: ctx.invoke,
      });
      bindings.push(binding);
      // A binding may bring its own thread copy (e.g. with its namespace's credentials), or keep its calls here.
      const thread = binding.thread ?? plugin.thread;
      if (thread && binding.threadable !== false) {
        local.push({ id: plugin.id, thread, interfaces: [...interfaces], grants: [...grants] });
      }
      for (const [iface, members] of Object.entries(binding.imports)) {
        if (!interfaces.has(iface)) continue;
        fragment[iface] = members;
        shapes[iface] = shapeOf(members);
        asyncImports.push(...asyncImportNames(iface, shapes[iface]!));
      }
    }
    const memoryLimit = spec.limits?.memory ? parseQuantity(spec.limits.memory) : ctx.deps.defaultMemoryLimit;
    // Nothing can block when the component reaches no plugin and cannot poll: skip JSPI.
    const mayWait = plan.bindings.length > 0 || loaded.imports.some((i) => i.unversioned === 'wasi:io/poll');
    const prepared = await engine.prepare(loaded, { asyncImports: mayWait ? asyncImports : [], memoryLimit });
    const preopens = (spec.volumeMounts ?? []).map((m) => ({
      guestPath: m.mountPath,
      hostPath: ctx.volumes.dirs.get(m.name)!,
      readOnly: (m.readOnly ?? false) || ctx.volumes.readOnly.has(m.name),
    }));
    const httpGrant = ctx.workload.spec.hostInterfaces.find(
      (h) => h.namespace === 'wasi' && h.package === 'http' && h.interfaces.includes('outgoing-handler'),
    );
    const program: ComponentProgram = {
      moduleUrl: prepared.moduleUrl,
      modules: prepared.modules,
      shapes,
      wasi: { env: Object.entries(spec.environment ?? {}), args: spec.args ?? [], preopens },
      outgoingHosts: (httpGrant?.config?.allowedHosts ?? '').split(',').filter((h) => h.trim() !== ''),
      sockets: socketSettings(ctx),
      maxInstances: spec.limits?.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
      label,
      local,
      bind: { hostId: ctx.deps.hostId, workload: ctx.ref, component: spec },
      traced: ctx.deps.tracing !== undefined,
    };
    const { modules: _modules, label: _label, bind: _bind, ...probed } = program;
    return {
      spec,
      digest: loaded.digest,
      exports: loaded.exports,
      program,
      fragment,
      bindings,
      logger,
      probeKey: JSON.stringify({ ...probed, memoryLimit }),
    };
  } catch (err) {
    for (const b of bindings) await b.close?.();
    throw err;
  }
}

/** DEFAULT_MAX_CONNECTIONS bounds a workload's open sockets when its wasi:sockets grant sets no `maxConnections`. */
export const DEFAULT_MAX_CONNECTIONS = 64;

/**
 * socketSettings reads the workload's `wasi:sockets` grant: `config.allowedHosts` (comma-separated,
 * as for outgoing HTTP) and `config.maxConnections`. Without a grant: no egress, the default bound.
 */
function socketSettings(ctx: PrepareContext): ComponentProgram['sockets'] {
  const grant = ctx.workload.spec.hostInterfaces.find((h) => h.namespace === 'wasi' && h.package === 'sockets');
  const max = Number(grant?.config?.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
  return {
    allowedHosts: (grant?.config?.allowedHosts ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== ''),
    maxConnections: Number.isInteger(max) && max >= 0 ? Math.min(max, 10_000) : DEFAULT_MAX_CONNECTIONS,
    counter: ctx.connections,
    mayListen: ctx.mayListen,
  };
}

function wrap(err: unknown, prefix: string): Error {
  if (err instanceof SkiffError) {
    err.message = prefix + err.message;
    return err;
  }
  return err instanceof Error ? err : new Error(String(err));
}
