/**
 * otelThreadPlugin builds a workload thread's copy of the `wasi:otel` plugin: the same
 * binding, whose spans go into the traced call the thread is running (through the thread's
 * PluginTracer), so a guest's telemetry calls never wait for the main thread.
 */
import type { HostPlugin, ThreadPluginContext } from '../../plugin.js';
import { bindOtel, otelPlugin } from './index.js';

/** otelThreadPlugin returns the thread's copy of otelPlugin; its metrics calls go to the main thread. */
export function otelThreadPlugin(_options: unknown, _ctx: ThreadPluginContext): HostPlugin {
  return { ...otelPlugin(), bind: (ctx) => bindOtel(ctx, { metrics: false }) };
}
