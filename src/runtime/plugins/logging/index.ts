/**
 * The `wasi:logging@0.1.0-draft` plugin: `log(level, context, message)` writes to the
 * workload's pino logger (which carries workload and component fields) and hands the record
 * to a LogBackend. `log` is synchronous for the guest: the backend is never awaited.
 */
import type { BindContext, HostPlugin, PluginBinding } from '../../plugin.js';
import { Lifecycle, messageOf, only } from '../common.js';
import type { LogBackend, LogLevel } from './backend.js';

export type { LogBackend, LogLevel, LogRecord } from './backend.js';
export { DEFAULT_CAPACITY, MemoryLogBackend, memoryLogBackend } from './memory.js';

/** LOGGING is the unversioned name of `wasi:logging/logging`. */
export const LOGGING = 'wasi:logging/logging';

/** PINO_LEVEL maps each WIT level to the pino level it is written at (`critical` becomes `fatal`). */
export const PINO_LEVEL = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  critical: 'fatal',
} as const satisfies Record<LogLevel, string>;

/** LoggingPluginOptions configure loggingPlugin. */
export interface LoggingPluginOptions {
  readonly backend: LogBackend;
}

/** loggingPlugin returns the HostPlugin providing `wasi:logging/logging`. */
export function loggingPlugin(options: LoggingPluginOptions): HostPlugin {
  return {
    id: 'wasi:logging',
    versions: ['0.1.0-draft'],
    imports: [LOGGING],
    bind: (ctx) => bindLogging(ctx, options.backend),
    stop: () => options.backend.close?.(),
  };
}

function bindLogging(ctx: BindContext, backend: LogBackend): PluginBinding {
  const life = new Lifecycle(ctx.signal);
  const logger = ctx.logger.child({ source: 'guest' });
  const base = { namespace: ctx.workload.namespace, workload: ctx.workload.name, component: ctx.component.name };

  function log(level: LogLevel, context: string, message: string): void {
    if (life.closed) return;
    const pinoLevel = PINO_LEVEL[level] ?? 'info';
    logger[pinoLevel]({ context }, message);
    try {
      const written = backend.write({ ...base, time: Date.now(), level, context, message });
      if (written) written.catch((err) => ctx.logger.warn({ err: messageOf(err) }, 'log backend write failed'));
    } catch (err) {
      ctx.logger.warn({ err: messageOf(err) }, 'log backend write failed');
    }
  }

  return {
    imports: only(ctx, { [LOGGING]: { log } }),
    close: () => life.close(),
  };
}
