/**
 * Helpers for the plugin contract suites: a real BindContext for a made-up workload whose
 * logger writes JSON lines into an array, and the plumbing to call what it binds.
 */
import { Writable } from 'node:stream';
import type { ComponentSpec, HostInterface } from '../../api/index.js';
import { createLogger } from '../../telemetry/logger.js';
import { type BindContext, grantedInterfaces, type HostPlugin, type PluginBinding } from '../plugin.js';

/** TestWorkload describes the workload a test binds a plugin for. */
export interface TestWorkload {
  readonly namespace?: string;
  readonly name?: string;
  readonly component?: Partial<ComponentSpec>;
  readonly grants: readonly HostInterface[];
  /** invoke answers guest-export calls; defaults to rejecting. */
  readonly invoke?: BindContext['invoke'];
  /** secretValues provides a grant's secret values (none by default). */
  readonly secretValues?: BindContext['secretValues'];
}

/** TestBinding is a bound plugin plus what the test needs to observe and stop it. */
export interface TestBinding {
  readonly binding: PluginBinding;
  readonly ctx: BindContext;
  /** logs are the JSON records the binding's logger wrote. */
  readonly logs: Record<string, unknown>[];
  /** stop aborts the workload signal and closes the binding. */
  stop(): Promise<void>;
}

/** bindFor binds `plugin` for a made-up workload and returns the binding with its observers. */
export async function bindFor(plugin: HostPlugin, workload: TestWorkload): Promise<TestBinding> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const namespace = workload.namespace ?? 'default';
  const name = workload.name ?? 'app';
  const component = { name: 'main', image: 'file://./main.wasm', ...workload.component } as ComponentSpec;
  const controller = new AbortController();
  const provided = new Set([...plugin.imports, ...(plugin.exports ?? [])]);
  const interfaces = new Set(workload.grants.flatMap(grantedInterfaces).filter((i) => provided.has(i)));
  const ctx: BindContext = {
    workload: { namespace, name, uid: `${namespace}-${name}-uid`, generation: 1 },
    component,
    grants: workload.grants,
    interfaces,
    logger: createLogger({ level: 'trace', destination: sink }).child({
      workload: `${namespace}/${name}`,
      component: component.name,
    }),
    signal: controller.signal,
    invoke: workload.invoke ?? (async () => Promise.reject(new Error('component exports nothing'))),
    secretValues: workload.secretValues,
  };
  const binding = await plugin.bind(ctx);
  return {
    binding,
    ctx,
    logs,
    async stop() {
      controller.abort();
      await binding.close?.();
    },
  };
}

/** fn returns the function `name` of interface `iface` in a binding's import fragment. */
// biome-ignore lint/suspicious/noExplicitAny: contract tests call imports the untyped way jco does.
export function fn(bound: TestBinding, iface: string, name: string): (...args: any[]) => any {
  const f = bound.binding.imports[iface]?.[name];
  if (typeof f !== 'function') throw new Error(`${iface} has no function ${name}`);
  // biome-ignore lint/suspicious/noExplicitAny: see above.
  return f as (...args: any[]) => any;
}

/** thrown resolves with what `promise` rejects with, or fails when it resolves. */
export async function thrown(promise: unknown): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, got a value');
}

/** bytes encodes a string as UTF-8. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** text decodes UTF-8 bytes. */
export function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}
