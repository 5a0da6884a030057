/**
 * The `wasi:config@0.2.0-rc.1` plugin: `store.get` and `store.get-all` over the component's
 * `config` map, read through a ConfigBackend so run-time changes reach running instances.
 * Backend failures reach the guest as `error.upstream`, never as traps.
 */
import type { BindContext, HostPlugin, PluginBinding } from '../../plugin.js';
import { CLOSED_MESSAGE, Lifecycle, messageOf, only } from '../common.js';
import type { ConfigBackend, ConfigView } from './backend.js';

export type { ConfigBackend, ConfigRef, ConfigView } from './backend.js';
export { MemoryConfigBackend, memoryConfigBackend } from './memory.js';

/** CONFIG_STORE is the unversioned name of `wasi:config/store`. */
export const CONFIG_STORE = 'wasi:config/store';

/** ConfigError is the `wasi:config/store.error` variant as jco represents it. */
export type ConfigError = { tag: 'upstream'; val: string } | { tag: 'io'; val: string };

/** ConfigPluginOptions configure configPlugin. */
export interface ConfigPluginOptions {
  readonly backend: ConfigBackend;
}

/** configPlugin returns the HostPlugin providing `wasi:config/store` over `backend`. */
export function configPlugin(options: ConfigPluginOptions): HostPlugin {
  return {
    id: 'wasi:config',
    versions: ['0.2.0-rc.1'],
    imports: [CONFIG_STORE],
    bind: (ctx) => bindConfig(ctx, options.backend),
    stop: () => options.backend.close?.(),
  };
}

async function bindConfig(ctx: BindContext, backend: ConfigBackend): Promise<PluginBinding> {
  const life = new Lifecycle(ctx.signal);
  const ref = { namespace: ctx.workload.namespace, workload: ctx.workload.name, component: ctx.component.name };
  const view: ConfigView = await backend.open(ref, Object.freeze({ ...(ctx.component.config ?? {}) }));

  async function run<T>(read: () => Promise<T>): Promise<T> {
    if (life.closed) throw { tag: 'io', val: CLOSED_MESSAGE } satisfies ConfigError;
    try {
      return await read();
    } catch (err) {
      throw { tag: 'upstream', val: messageOf(err) } satisfies ConfigError;
    }
  }

  const fragment = {
    [CONFIG_STORE]: {
      get: (key: string): Promise<string | undefined> => run(() => view.get(key)),
      getAll: (): Promise<[string, string][]> => run(async () => Object.entries(await view.getAll())),
    },
  };
  return {
    imports: only(ctx, fragment),
    close: async () => {
      life.close();
      await view.close?.();
    },
  };
}
