/**
 * PluginTracer is how a plugin takes part in a trace without knowing where it runs: it reads
 * the traceparent of the guest call it serves (to put it on a message), wraps its own remote
 * calls in child spans (a NATS request), and continues a trace a received message carries.
 * mainPluginTracer is the main thread's, over the host's SDK tracer; workload threads have
 * their own (runtime/guest/trace.ts). Both cost one async-context lookup when nothing is traced.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { GuestMetricsExporter } from './metrics.js';
import type { Tracing } from './provider.js';
import {
  type AttributeValue,
  formatTraceparent,
  parseTraceparent,
  type SpanKindName,
  type SpanRecord,
  type TraceParent,
} from './records.js';

/** PluginTracer lets a plugin join the trace of the guest call it serves. */
export interface PluginTracer {
  /** traceparent returns the W3C traceparent of the span running now, if the call is traced. */
  traceparent(): string | undefined;
  /**
   * span runs `fn` as a child span of the current one and ends it when `fn` settles (an error
   * when it rejects); `fn` gets the child's traceparent. Without a current span it just runs `fn`.
   */
  span<T>(
    name: string,
    kind: SpanKindName,
    attributes: Record<string, AttributeValue>,
    fn: (traceparent: string | undefined) => Promise<T>,
  ): Promise<T>;
  /**
   * follow runs `fn` under a new span whose parent is `traceparent` (say, a received message's);
   * without a valid traceparent, or where no span can be recorded, it just runs `fn`.
   */
  follow<T>(
    traceparent: string | undefined,
    name: string,
    kind: SpanKindName,
    attributes: Record<string, AttributeValue>,
    fn: () => Promise<T>,
  ): Promise<T>;
  /**
   * record exports a finished span made elsewhere (a guest's, through wasi:otel) when it
   * belongs to the trace of the current span; anything else is dropped.
   */
  record(span: SpanRecord): void;
  /**
   * metrics, in the main thread of a host that exports metrics, takes guests' metric
   * batches (false: too many exports under way); absent elsewhere.
   */
  readonly metrics?: GuestMetricsExporter | undefined;
}

const KINDS: Record<SpanKindName, SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

/** mainPluginTracer is the PluginTracer of plugins bound in the main thread. */
export function mainPluginTracer(tracing: Tracing): PluginTracer {
  const { tracer, scope } = tracing;
  async function under<T>(
    parent: TraceParent,
    remote: boolean,
    name: string,
    kind: SpanKindName,
    attributes: Record<string, AttributeValue>,
    fn: (traceparent: string) => Promise<T>,
  ): Promise<T> {
    const ctx = trace.setSpanContext(context.active(), {
      traceId: parent.traceId,
      spanId: parent.spanId,
      traceFlags: parent.sampled ? 1 : 0,
      isRemote: remote,
    });
    const span = tracer.startSpan(name, { kind: KINDS[kind], attributes }, ctx);
    const c = span.spanContext();
    const child: TraceParent = { traceId: c.traceId, spanId: c.spanId, sampled: (c.traceFlags & 1) === 1 };
    try {
      return await scope.run(child.sampled ? child : undefined, () => fn(formatTraceparent(child)));
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  }
  return {
    traceparent() {
      const current = scope.current();
      return current && formatTraceparent(current);
    },
    span(name, kind, attributes, fn) {
      const current = scope.current();
      return current ? under(current, false, name, kind, attributes, fn) : fn(undefined);
    },
    follow(traceparent, name, kind, attributes, fn) {
      const parent = parseTraceparent(traceparent);
      return parent ? under(parent, true, name, kind, attributes, () => fn()) : fn();
    },
    record(span) {
      if (span.traceId === scope.current()?.traceId) tracing.record([span]);
    },
    metrics: tracing.metrics,
  };
}
