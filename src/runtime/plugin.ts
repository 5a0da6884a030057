/**
 * The public plugin interface. A HostPlugin provides one or more WIT interfaces to the
 * components a workload runs. The host asks it for a fresh import fragment per component
 * of each workload (`bind`), and only for the interfaces that workload was granted.
 */
import type { ComponentSpec, HostInterface } from '../api/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { PluginTracer } from '../telemetry/tracing/plugin-tracer.js';

export type { PluginTracer };

/** WorkloadRef identifies the workload a binding is for. */
export interface WorkloadRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
}

/** BindContext is what a plugin learns about the component it binds. */
export interface BindContext {
  /** workload is the workload the component belongs to. */
  readonly workload: WorkloadRef;
  /** component is the component's spec (config, environment, limits, mounts). */
  readonly component: ComponentSpec;
  /** grants are the workload's hostInterfaces entries that name one of this plugin's packages. */
  readonly grants: readonly HostInterface[];
  /** interfaces are the granted interface names this plugin provides, unversioned (`wasi:keyvalue/store`). */
  readonly interfaces: ReadonlySet<string>;
  /** logger carries workload and component fields. */
  readonly logger: Logger;
  /** signal is aborted when the workload stops. */
  readonly signal: AbortSignal;
  /** tracer, when the host traces, lets the binding join the trace of the guest call it serves. */
  readonly tracer?: PluginTracer | undefined;
  /**
   * invoke calls a function a guest exports (e.g. `wasmcloud:messaging/handler`,
   * `handleMessage`) on a pooled instance of the component and resolves with its result.
   * It rejects if the component does not export the function or the instance traps.
   */
  invoke(iface: string, fn: string, args: readonly unknown[]): Promise<unknown>;
  /**
   * secretValues returns the values the start resolved for a `wasmcloud:secrets` grant (its
   * layers, as bytes; docs/adr/0019). The host owns the buffers and zeroes them when the
   * workload stops: a plugin reads them when a guest asks and never keeps a copy.
   */
  readonly secretValues?: ((grant: HostInterface) => ReadonlyMap<string, Uint8Array>) | undefined;
}

/** ImportFragment maps unversioned interface names to the functions and resource classes the guest imports. */
export type ImportFragment = Record<string, Record<string, unknown>>;

/** PluginBinding is a plugin's per-component state. */
export interface PluginBinding {
  /** imports is the import fragment for the granted interfaces. */
  readonly imports: ImportFragment;
  /** ready is called once instances can be invoked (e.g. to start subscriptions). */
  ready?(): Promise<void> | void;
  /** close releases what the binding holds; called when the workload stops. */
  close?(): Promise<void> | void;
  /**
   * threadable false keeps the component's calls on this binding even when the plugin has a
   * workload-thread copy (`HostPlugin.thread`), e.g. because a named instance uses a
   * backend only the main thread holds.
   */
  readonly threadable?: boolean;
  /**
   * thread, when set, replaces the plugin's `thread` for this component: how a workload
   * thread builds the copy that serves it (e.g. with the credentials of its namespace).
   */
  readonly thread?: ThreadPlugin;
}

/** PluginContext is what a plugin gets from the host when it starts. */
export interface PluginContext {
  readonly hostId: string;
  readonly logger: Logger;
}

/**
 * ThreadPlugin says how a workload thread builds its own copy of a plugin: it imports
 * `module` (a file URL) and calls its export `factory` with `options` (which must survive
 * a structured clone) and a ThreadPluginContext; the result is a HostPlugin whose `bind`
 * serves the components that thread runs. One copy per thread, started on first use and
 * stopped when the thread ends.
 */
export interface ThreadPlugin {
  readonly module: string;
  readonly factory: string;
  readonly options: unknown;
}

/** ThreadPluginContext is what a plugin copy gets in a workload thread. */
export interface ThreadPluginContext {
  /** hostId names the host the thread belongs to. */
  readonly hostId: string;
  /** logger writes into the host's log (through the main thread). */
  readonly logger: Logger;
  /** tracer, when the host traces, adds spans under the traced guest call being served. */
  readonly tracer?: PluginTracer | undefined;
}

/** ThreadPluginFactory is the signature of a ThreadPlugin's `factory` export. */
export type ThreadPluginFactory = (options: never, ctx: ThreadPluginContext) => HostPlugin | Promise<HostPlugin>;

/** HostPlugin provides WIT interfaces to components. */
export interface HostPlugin {
  /** id names the plugin, conventionally its WIT package (`wasi:keyvalue`). */
  readonly id: string;
  /** imports are the unversioned interface names the plugin provides (`wasi:keyvalue/store`). */
  readonly imports: readonly string[];
  /** exports are guest exports the plugin drives, if any (`wasmcloud:messaging/handler`). */
  readonly exports?: readonly string[];
  /**
   * versions are the versions of the WIT package the plugin implements (`0.2.0-draft`).
   * Heartbeats announce each of its interfaces at each version, so a scheduler can place a
   * workload whose grant names a version; a plugin without versions only matches grants
   * that name none.
   */
  readonly versions?: readonly string[];
  /**
   * implied maps an interface to the interfaces a grant of it brings along, because its
   * functions hand out their resources (`wasi:blobstore/blobstore` → `wasi:blobstore/container`).
   * A package's `types` interface is always implied by a grant of any of its interfaces.
   */
  readonly implied?: Readonly<Record<string, readonly string[]>>;
  /**
   * thread, when set, lets each workload thread build its own copy of this plugin, so a
   * guest's calls into it need no trip to the main thread (e.g. a NATS backend with a
   * connection per thread). The main-thread plugin still binds every component; a thread
   * that cannot build its copy (say, NATS is unreachable when it connects) uses that binding.
   */
  readonly thread?: ThreadPlugin;
  /** start is called once when the host starts. */
  start?(ctx: PluginContext): Promise<void> | void;
  /** stop is called once when the host stops. */
  stop?(): Promise<void> | void;
  /** bind returns a fresh binding for one component of a workload. */
  bind(ctx: BindContext): Promise<PluginBinding> | PluginBinding;
}

/** interfaceName turns a grant into the unversioned interface names it covers. */
export function grantedInterfaces(grant: HostInterface): string[] {
  return grant.interfaces.map((i) => `${grant.namespace}:${grant.package}/${i}`);
}

/** packageOf returns the `namespace:package` part of an interface name (`wasi:keyvalue/store` → `wasi:keyvalue`). */
export function packageOf(iface: string): string {
  const slash = iface.indexOf('/');
  return (slash < 0 ? iface : iface.slice(0, slash)).replace(/@.*$/, '');
}

/** unversioned strips a version from an interface name (`wasi:http/types@0.2.0` → `wasi:http/types`). */
export function unversioned(iface: string): string {
  const at = iface.indexOf('@');
  return at < 0 ? iface : iface.slice(0, at);
}
