/**
 * ThreadPlugins holds a workload thread's own copies of the plugins that offer one
 * (`HostPlugin.thread`): built on first use from the module the main thread names, shared
 * by every context on the thread, stopped when the thread shuts down. threadLogger gives
 * them a logger whose lines go to the host's log through the main thread.
 */
import type { FromWorker, LocalPlugin } from '../channel/messages.js';
import type { HostPlugin, PluginTracer, ThreadPluginFactory } from '../plugin.js';
import { createLogger, type Logger } from '../../telemetry/logger.js';

/** threadLogger returns a logger whose JSON lines are posted to the main thread as records of context `cx` (0: the thread). */
export function threadLogger(post: (message: FromWorker) => void, cx: number): Logger {
  return createLogger({
    base: null,
    destination: {
      write(line: string) {
        post({ t: 'record', cx, line });
      },
    },
  });
}

/** ThreadPlugins builds and keeps the thread's plugin copies. */
export class ThreadPlugins {
  readonly #post: (message: FromWorker) => void;
  readonly #copies = new Map<string, Promise<HostPlugin>>();

  constructor(post: (message: FromWorker) => void) {
    this.#post = post;
  }

  /**
   * get returns the thread's copy of a plugin, building and starting it the first time; a
   * failed build is retried next time. A traced host's copies are built with `tracer`.
   */
  get(local: LocalPlugin, hostId: string, tracer?: PluginTracer): Promise<HostPlugin> {
    const { module, factory, options } = local.thread;
    const key = JSON.stringify([local.id, module, factory, options, tracer !== undefined]);
    let copy = this.#copies.get(key);
    if (!copy) {
      copy = this.#build(local, hostId, tracer);
      this.#copies.set(key, copy);
      copy.catch(() => this.#copies.delete(key));
    }
    return copy;
  }

  async #build(local: LocalPlugin, hostId: string, tracer: PluginTracer | undefined): Promise<HostPlugin> {
    const { module, factory, options } = local.thread;
    const exports = (await import(module)) as Record<string, unknown>;
    const make = exports[factory] as ThreadPluginFactory | undefined;
    if (typeof make !== 'function') throw new Error(`${module} has no export ${factory}`);
    const logger = threadLogger(this.#post, 0).child({ plugin: local.id });
    const plugin = await make(options as never, { hostId, logger, tracer });
    await plugin.start?.({ hostId, logger });
    return plugin;
  }

  /** stop stops every copy that was built. */
  async stop(): Promise<void> {
    const copies = [...this.#copies.values()];
    this.#copies.clear();
    for (const copy of copies) {
      const plugin = await copy.catch(() => undefined);
      await Promise.resolve(plugin?.stop?.()).catch(() => undefined);
    }
  }
}
