/**
 * The `wasi:otel@0.2.0-rc.2` plugin: a guest's own spans (`tracing`) and log records
 * (`logs`). `outer-span-context` answers the span the host runs the guest's call under, so
 * the guest's spans join the request's trace; `on-end` exports a finished span through the
 * host's tracing (spans of other traces, unsampled or malformed ones are dropped);
 * `on-emit` writes a log record into the workload's log. Without host tracing the outer
 * context is invalid (all zeros) and spans go nowhere. Each workload thread binds its own
 * copy (thread.ts), so these calls never cross to the main thread.
 */
import { parseTraceparent } from '../../../telemetry/tracing/records.js';
import type { BindContext, HostPlugin, PluginBinding } from '../../plugin.js';
import { threadModule } from '../../threads.js';
import { only } from '../common.js';
import { logRecordOf } from './logs.js';
import { spanRecordOf } from './spans.js';

/** TRACING is the unversioned name of `wasi:otel/tracing`. */
export const TRACING = 'wasi:otel/tracing';
/** LOGS is the unversioned name of `wasi:otel/logs`. */
export const LOGS = 'wasi:otel/logs';
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

/** otelPlugin returns the HostPlugin providing `wasi:otel` (tracing and logs). */
export function otelPlugin(): HostPlugin {
  return {
    id: 'wasi:otel',
    versions: ['0.2.0-rc.2'],
    imports: [TRACING, LOGS, OTEL_TYPES],
    bind: bindOtel,
    thread: { module: threadUrl, factory: 'otelThreadPlugin', options: {} },
  };
}

/** bindOtel binds `wasi:otel` for one component, in the main thread or a workload thread alike. */
export function bindOtel(ctx: BindContext): PluginBinding {
  const tracer = ctx.tracer;
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
    [OTEL_TYPES]: {},
  };
  return { imports: only(ctx, fragment) };
}
