/**
 * The `wasi:otel@0.2.0-rc.2` plugin: a guest's own spans (`tracing`), metrics (`metrics`)
 * and log records (`logs`). `outer-span-context` answers the span the host runs the guest's call under, so
 * the guest's spans join the request's trace; `on-end` exports a finished span through the
 * host's tracing (spans of other traces, unsampled or malformed ones are dropped);
 * `on-emit` writes a log record into the workload's log; `export` hands a metric batch to
 * the host's metrics exporter in the background (refused with an error string when it is
 * malformed or too many exports are under way). Without host tracing the outer context is
 * invalid (all zeros) and spans and metrics go nowhere. Each workload thread binds its own
 * copy (thread.ts) for tracing and logs; metrics go to the main thread, which exports them.
 */
import { parseTraceparent } from '../../../telemetry/tracing/records.js';
import type { BindContext, HostPlugin, PluginBinding } from '../../plugin.js';
import { threadModule } from '../../threads.js';
import { only } from '../common.js';
import { logRecordOf } from './logs.js';
import { guestMetricsOf } from './metrics.js';
import { spanRecordOf } from './spans.js';

/** TRACING is the unversioned name of `wasi:otel/tracing`. */
export const TRACING = 'wasi:otel/tracing';
/** LOGS is the unversioned name of `wasi:otel/logs`. */
export const LOGS = 'wasi:otel/logs';
/** METRICS is the unversioned name of `wasi:otel/metrics`. */
export const METRICS = 'wasi:otel/metrics';
/** OTEL_TYPES is the unversioned name of `wasi:otel/types` (types only). */
export const OTEL_TYPES = 'wasi:otel/types';

/** SpanContext is `wasi:otel/tracing.span-context` as jco represents it. */
export interface SpanContext {
  traceId: string;
  spanId: string;
  traceFlags: { sampled: boolean };
  isRemote: boolean;
  traceState: [string, string][];
}

const INVALID: SpanContext = {
  traceId: '0'.repeat(32),
  spanId: '0'.repeat(16),
  traceFlags: { sampled: false },
  isRemote: false,
  traceState: [],
};

const threadUrl = threadModule('thread', import.meta.url).href;

/** otelPlugin returns the HostPlugin providing `wasi:otel` (tracing, metrics and logs). */
export function otelPlugin(): HostPlugin {
  return {
    id: 'wasi:otel',
    versions: ['0.2.0-rc.2'],
    imports: [TRACING, METRICS, LOGS, OTEL_TYPES],
    bind: (ctx) => bindOtel(ctx, { metrics: true }),
    thread: { module: threadUrl, factory: 'otelThreadPlugin', options: {} },
  };
}

/**
 * bindOtel binds `wasi:otel` for one component, in the main thread or a workload thread;
 * `metrics` serves `wasi:otel/metrics` too (the main thread's binding: a thread's leaves it
 * to the bridge).
 */
export function bindOtel(ctx: BindContext, options: { metrics: boolean }): PluginBinding {
  const tracer = ctx.tracer;
  const workload = `${ctx.workload.namespace}/${ctx.workload.name}`;
  const fragment = {
    [TRACING]: {
      onStart(_context: SpanContext): void {
        // Nothing to do until the span ends: the host keeps no open guest spans.
      },
      onEnd(data: unknown): void {
        const span = tracer && spanRecordOf(data);
        if (span) tracer.record(span);
      },
      outerSpanContext(): SpanContext {
        const parent = parseTraceparent(tracer?.traceparent());
        if (!parent) return INVALID;
        return {
          traceId: parent.traceId,
          spanId: parent.spanId,
          traceFlags: { sampled: parent.sampled },
          isRemote: false,
          traceState: [],
        };
      },
    },
    [LOGS]: {
      onEmit(data: unknown): void {
        const record = logRecordOf(data);
        if (record) ctx.logger[record.level]({ guest: record.fields }, record.message);
      },
    },
    [METRICS]: {
      export(metrics: unknown): void {
        const batch = guestMetricsOf(metrics);
        if (typeof batch === 'string') throw batch;
        const exporter = tracer?.metrics;
        if (!exporter) return; // the host exports no metrics: accepted and dropped, like spans
        const resource = { ...batch.resource, 'skiff.workload': workload, 'skiff.component': ctx.component.name };
        if (!exporter.export(resource, batch.scopeMetrics)) throw 'too many metric exports under way; try later';
      },
    },
    [OTEL_TYPES]: {},
  };
  const imports = only(ctx, fragment);
  if (!options.metrics) delete imports[METRICS];
  return { imports };
}
