/**
 * createTracing builds the host's tracer: an SDK TracerProvider whose spans go through one
 * bounded BatchSpanProcessor to an OTLP/HTTP exporter. Exporting never blocks or fails the
 * work being traced: spans queue (at most MAX_QUEUE, the rest are dropped and counted) and
 * leave in batches; a collector that is down costs failed exports in the background, logged.
 */
import {
  type Attributes,
  type Link,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, millisToHrTime, TraceState } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Logger } from '../logger.js';
import type { TracingSettings } from './config.js';
import { type GuestMetricsExporter, guestMetricsExporter } from './metrics.js';
import type { SpanKindName, SpanRecord } from './records.js';
import { TraceScope } from './scope.js';

/** MAX_QUEUE bounds the spans waiting for export; past it new spans are dropped. */
export const MAX_QUEUE = 4096;
/** MAX_BATCH is how many spans one export carries at most. */
export const MAX_BATCH = 512;
/** TRACER_NAME is the instrumentation scope of the host's own spans. */
export const TRACER_NAME = 'skiff';

/** Tracing is the host's tracer, its async scope, and where spans made elsewhere are handed in. */
export interface Tracing {
  /** tracer starts the host's own spans (HTTP server spans). */
  readonly tracer: Tracer;
  /** scope carries the current span across awaits in the main thread (plugin calls run under it). */
  readonly scope: TraceScope;
  /** record queues spans made outside the SDK (in workload threads, by guests) for export. */
  record(spans: readonly SpanRecord[]): void;
  /** metrics exports guests' metric batches, when a metrics endpoint is configured. */
  readonly metrics: GuestMetricsExporter | undefined;
  /** flush exports what is queued now (failures are logged, never thrown). */
  flush(): Promise<void>;
  /** shutdown flushes and stops exporting (failures are logged, never thrown). */
  shutdown(): Promise<void>;
}

/** TracingOptions add what the settings cannot say. */
export interface TracingOptions {
  readonly logger: Logger;
  /** exporter replaces the OTLP exporter (tests, or another transport). */
  readonly exporter?: SpanExporter;
  /** scheduledDelayMs is the longest a span waits before its batch leaves (default 1000). */
  readonly scheduledDelayMs?: number;
  /** serviceVersion is the `service.version` resource attribute. */
  readonly serviceVersion?: string;
}

/** createTracing returns a Tracing that exports to `settings.url`. */
export function createTracing(settings: TracingSettings, options: TracingOptions): Tracing {
  const logger = options.logger.child({ component: 'tracing' });
  const resource = defaultResource().merge(
    resourceFromAttributes({
      ...settings.resourceAttributes,
      'service.name': settings.serviceName,
      ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
    }),
  );
  const exporter = loggingExporter(
    options.exporter ??
      new OTLPTraceExporter({ url: settings.url, headers: { ...settings.headers }, timeoutMillis: settings.timeoutMs }),
    logger,
  );
  const processor = new BatchSpanProcessor({
    exporter,
    maxQueueSize: MAX_QUEUE,
    maxExportBatchSize: MAX_BATCH,
    scheduledDelayMillis: options.scheduledDelayMs ?? 1000,
    exportTimeoutMillis: settings.timeoutMs,
  });
  const provider = new TracerProvider({ resource, spanProcessors: [processor] });
  const scope = new TraceScope();
  const metrics =
    settings.metricsUrl === undefined
      ? undefined
      : guestMetricsExporter(settings.metricsUrl, {
          resource,
          headers: settings.headers,
          timeoutMs: settings.timeoutMs,
          logger,
        });
  return {
    metrics,
    tracer: provider.getTracer(TRACER_NAME),
    scope,
    record(spans) {
      for (const span of spans) processor.onEnd(readableSpanOf(span, resource));
    },
    // Neither ever rejects: a collector that is down loses the spans, never the caller's work.
    flush: () => provider.forceFlush().catch((err) => logger.warn({ err: messageOf(err) }, 'span flush failed')),
    shutdown: async () => {
      await provider.shutdown().catch((err) => logger.warn({ err: messageOf(err) }, 'span flush failed'));
      await metrics?.shutdown();
    },
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** loggingExporter logs failed exports (at most one line every 10 s) and passes everything else through. */
function loggingExporter(inner: SpanExporter, logger: Logger): SpanExporter {
  let lastLog = 0;
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      inner.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS && Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          logger.warn({ spans: spans.length, err: result.error?.message }, 'span export failed; spans dropped');
        }
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    ...(inner.forceFlush ? { forceFlush: () => inner.forceFlush!() } : {}),
  };
}

const KINDS: Record<SpanKindName, SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

const STATUS = { unset: SpanStatusCode.UNSET, ok: SpanStatusCode.OK, error: SpanStatusCode.ERROR } as const;

/** readableSpanOf turns a SpanRecord into the finished-span shape the SDK's processors and exporters take. */
export function readableSpanOf(span: SpanRecord, resource: Resource): ReadableSpan {
  const traceState = span.traceState ? new TraceState(span.traceState) : undefined;
  const context: SpanContext = {
    traceId: span.traceId,
    spanId: span.spanId,
    traceFlags: 1,
    ...(traceState ? { traceState } : {}),
  };
  const parent: SpanContext | undefined = span.parentSpanId
    ? { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: 1, isRemote: span.parentRemote ?? false }
    : undefined;
  const start = millisToHrTime(span.startMs);
  const end = millisToHrTime(Math.max(span.endMs, span.startMs));
  const durationMs = Math.max(0, span.endMs - span.startMs);
  const links: Link[] = [];
  return {
    name: span.name,
    kind: KINDS[span.kind],
    spanContext: () => context,
    ...(parent ? { parentSpanContext: parent } : {}),
    startTime: start,
    endTime: end,
    duration: millisToHrTime(durationMs),
    status: { code: STATUS[span.status.code], ...(span.status.message ? { message: span.status.message } : {}) },
    attributes: span.attributes as Attributes,
    links,
    events: (span.events ?? []).map((e) => ({
      name: e.name,
      time: millisToHrTime(e.timeMs),
      attributes: e.attributes as Attributes,
    })),
    ended: true,
    resource,
    instrumentationScope: span.scope ?? { name: TRACER_NAME },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
