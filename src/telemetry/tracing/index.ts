/**
 * Tracing: OpenTelemetry spans for the host, exported over OTLP/HTTP. `config.ts` reads the
 * standard OTEL_* variables; `provider.ts` builds the tracer and the one batched exporter;
 * `records.ts` is spans as plain data (what workload threads and guests hand in) and the
 * W3C traceparent; `scope.ts` carries the current span across awaits; `plugin-tracer.ts` is
 * how plugins join a trace (the main thread's; workload threads have their own).
 */
export { DEFAULT_ENDPOINT, TracingConfigError, type TracingSettings, tracingSettings } from './config.js';
export {
  createTracing,
  MAX_BATCH,
  MAX_QUEUE,
  readableSpanOf,
  TRACER_NAME,
  type Tracing,
  type TracingOptions,
} from './provider.js';
export {
  type AttributeValue,
  formatTraceparent,
  newSpanId,
  newTraceId,
  parseTraceparent,
  type SpanKindName,
  type SpanRecord,
  type TraceParent,
} from './records.js';
export { mainPluginTracer, type PluginTracer } from './plugin-tracer.js';
export { TraceScope } from './scope.js';
