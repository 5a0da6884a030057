/**
 * GuestContext is one component of one workload inside a workload thread: its WASI core,
 * its wasi:http, its granted plugins — bound here when the thread has its own copy of the
 * plugin, else proxied over the context's own bridge channel — and a pool of instances
 * created on demand. Every workload running the same digest shares the compiled core
 * modules and the transpiled JS; only instances are per workload.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ComponentProgram, FromWorker, HttpRequestData, HttpResponseData } from '../channel/messages.js';
import type { PluginBinding } from '../plugin.js';
import { BridgeClient } from './bridge-client.js';
import { httpImports, serveHttp } from './http/imports.js';
import { findExport, type Instance, InstancePool } from './instances.js';
import { type ThreadPlugins, threadLogger } from './plugins.js';
import { type CallTrace, callTrace, type ThreadScope, threadPluginTracer, traceImports } from './trace.js';
import { createWasiImports, type WasiImports } from './wasi/index.js';

type Instantiate = (getCore: (name: string) => WebAssembly.Module, imports: unknown) => Promise<Instance>;

/** GuestFailure is how a failed call is reported: a message and a stable code. */
export interface GuestFailure {
  error: string;
  code: string;
}

/** describeFailure turns what a guest call threw into a GuestFailure (a trap gets SKIFF_TRAP). */
export function describeFailure(err: unknown): GuestFailure {
  if (err instanceof WebAssembly.RuntimeError) return { error: `guest trapped: ${err.message}`, code: 'SKIFF_TRAP' };
  // jco throws a ComponentError carrying `payload` when an export returns a WIT `err`.
  if (err instanceof Error && Object.hasOwn(err, 'payload')) {
    const payload = (err as { payload?: unknown }).payload;
    const detail = payload === undefined ? '' : `: ${JSON.stringify(payload)}`;
    return { error: `returned an error${detail}`, code: 'SKIFF_ERROR_RESULT' };
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { error: err.message, code: typeof code === 'string' ? code : 'SKIFF_GUEST_FAILED' };
  }
  return { error: `guest failed: ${JSON.stringify(err)}`, code: 'SKIFF_GUEST_ERROR' };
}

function failure(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** UNTRACED are plugin interfaces whose calls get no span of their own (a guest's spans go through wasi:otel). */
const UNTRACED: ReadonlySet<string> = new Set(['wasi:otel/tracing', 'wasi:otel/metrics', 'wasi:otel/logs', 'wasi:otel/types']);

/** GuestContext runs the calls of one component of one workload. */
export class GuestContext {
  readonly #cx: number;
  readonly #program: ComponentProgram;
  readonly #post: (message: FromWorker) => void;
  readonly #bridge: BridgeClient;
  readonly #wasi: WasiImports;
  readonly #plugins: ThreadPlugins;
  readonly #pool: InstancePool;
  readonly #abort = new AbortController();
  readonly #bindings: PluginBinding[] = [];
  readonly #scope: ThreadScope;
  #imports: Promise<Record<string, unknown>> | undefined;

  constructor(
    cx: number,
    program: ComponentProgram,
    bridge: MessagePort,
    post: (message: FromWorker) => void,
    plugins: ThreadPlugins,
    scope: ThreadScope,
    sockets: { loopback?: MessagePort | undefined; connections?: Int32Array | undefined } = {},
  ) {
    this.#cx = cx;
    this.#scope = scope;
    this.#plugins = plugins;
    this.#program = program;
    this.#post = post;
    this.#bridge = new BridgeClient(bridge, program.traced ? scope : undefined);
    this.#wasi = createWasiImports({
      env: program.wasi.env,
      args: program.wasi.args,
      preopens: program.wasi.preopens,
      stdout: (line: string) => post({ t: 'log', cx, stream: 'stdout', line }),
      stderr: (line: string) => post({ t: 'log', cx, stream: 'stderr', line }),
      sockets: { ...program.sockets, ...sockets },
    });
    this.#pool = new InstancePool(() => this.#instantiate(), program.maxInstances);
  }

  /** #bindImports builds the import object: local plugin bindings where the thread has a copy, bridge proxies elsewhere. */
  async #bindImports(): Promise<Record<string, unknown>> {
    const program = this.#program;
    const imports: Record<string, unknown> = {
      ...this.#wasi,
      ...httpImports(program.outgoingHosts, program.traced ? this.#scope : undefined),
      ...this.#bridge.imports(program.shapes),
    };
    await this.#bindLocal(imports);
    // The one place a guest's calls cross into plugins: a span per call when the call is traced.
    if (program.traced) traceImports(imports, program.shapes, this.#scope, UNTRACED);
    return imports;
  }

  /** #bindLocal binds the plugins this thread has a copy of into `imports`, over their bridge proxies. */
  async #bindLocal(imports: Record<string, unknown>): Promise<void> {
    const program = this.#program;
    if (program.local.length === 0) return;
    const { hostId, workload, component } = program.bind;
    const logger = threadLogger(this.#post, this.#cx).child({
      workload: `${workload.namespace}/${workload.name}`,
      component: component.name,
    });
    const tracer = program.traced ? threadPluginTracer(this.#scope) : undefined;
    for (const local of program.local) {
      try {
        const plugin = await this.#plugins.get(local, hostId, tracer);
        const binding = await plugin.bind({
          workload,
          component,
          grants: local.grants,
          interfaces: new Set(local.interfaces),
          logger: logger.child({ plugin: local.id }),
          signal: this.#abort.signal,
          tracer,
          invoke: () => Promise.reject(new Error('a plugin copy in a workload thread cannot invoke guest exports')),
        });
        this.#bindings.push(binding);
        for (const iface of local.interfaces) {
          const members = binding.imports[iface];
          if (members) imports[iface] = members;
        }
        await binding.ready?.();
      } catch (err) {
        // The main thread's binding of the same plugin keeps serving, through the bridge.
        logger.warn(
          { plugin: local.id, err: (err as Error).message },
          'plugin copy unavailable in this thread; using the main thread',
        );
      }
    }
  }

  /** #traced runs `run` under the call's trace (if it brought one) and posts the spans it collected. */
  async #traced<T>(traceparent: string | undefined, run: () => Promise<T>): Promise<T> {
    const trace: CallTrace | undefined = this.#program.traced ? callTrace(traceparent) : undefined;
    if (!trace) return run();
    try {
      return await this.#scope.run(trace, run);
    } finally {
      if (trace.spans.length > 0) this.#post({ t: 'spans', cx: this.#cx, spans: trace.spans });
    }
  }

  async #instantiate(): Promise<Instance> {
    this.#imports ??= this.#bindImports();
    const imports = await this.#imports;
    // The module cache of this thread keeps one copy of the transpiled JS per digest.
    const { instantiate } = (await import(this.#program.moduleUrl)) as { instantiate: Instantiate };
    const modules = this.#program.modules;
    return instantiate((name) => {
      const module = modules[name];
      if (!module) throw new Error(`core module ${name} missing from the transpile output`);
      return module;
    }, imports);
  }

  /** #withInstance runs `run` on an instance; a thrown Error (not a WIT error value) discards the instance. */
  async #withInstance<T>(id: number, run: (instance: Instance) => Promise<T>): Promise<T> {
    // The main thread times instantiation apart from the call, and not the wait for an instance.
    const next = this.#pool.next;
    if (next === 'wait') this.#post({ t: 'queued', id });
    else if (next === 'create') this.#post({ t: 'instantiating', id });
    const instance = await this.#pool.acquire();
    if (next !== 'idle') this.#post({ t: 'begin', id });
    let healthy = false;
    try {
      const result = await run(instance);
      healthy = true;
      return result;
    } catch (err) {
      healthy = !(err instanceof Error);
      throw err;
    } finally {
      if (healthy) this.#pool.release(instance);
      else {
        this.#pool.discard();
        this.#post({ t: 'instance-discarded', cx: this.#cx, reason: 'trap' });
      }
    }
  }

  /** http serves one buffered request with the component's `wasi:http/incoming-handler`. */
  http(id: number, req: HttpRequestData): Promise<HttpResponseData> {
    return this.#traced(req.traceparent, () =>
      this.#withInstance(id, (instance) => {
        const handler = findExport(instance, 'wasi:http/incoming-handler');
        if (!handler || typeof handler.handle !== 'function') {
          throw failure(`${this.#program.label} does not export wasi:http/incoming-handler`, 'SKIFF_NO_HTTP_EXPORT');
        }
        return serveHttp(handler as { handle(r: unknown, o: unknown): unknown }, req);
      }),
    );
  }

  /** invoke calls an export (`iface` '' for a plain function export) and resolves with its result. */
  invoke(id: number, iface: string, fn: string, args: unknown[], traceparent?: string): Promise<unknown> {
    return this.#traced(traceparent, () =>
      this.#withInstance(id, async (instance) => {
        const target = iface === '' ? instance : findExport(instance, iface);
        const f = target?.[fn];
        if (typeof f !== 'function') {
          throw failure(`${this.#program.label} does not export ${iface}#${fn}`, 'SKIFF_NO_EXPORT');
        }
        return await (f as (...a: unknown[]) => unknown).apply(target, args);
      }),
    );
  }

  /** probe instantiates the component once (a start's check that it can run) and keeps the instance warm in the pool. */
  async probe(): Promise<void> {
    this.#pool.release(await this.#pool.acquire());
  }

  /** close drops the instances, flushes the guest's output, closes its files and its bridge channel. */
  close(): void {
    this.#pool.clear();
    this.#abort.abort();
    for (const binding of this.#bindings.splice(0)) void Promise.resolve(binding.close?.()).catch(() => undefined);
    this.#wasi.control.close();
    this.#bridge.close();
  }
}
