/**
 * Spans as plain data, for the places that cannot hold an SDK span: a workload thread (its
 * spans travel to the main thread in a message) and a guest (`wasi:otel` hands the host
 * finished span data). Also the W3C `traceparent` header, parsed and printed.
 */
import { randomBytes } from 'node:crypto';

/** SpanKindName is a span's kind, as OTLP names it. */
export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** AttributeValue is what a span attribute may hold. */
export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];

/** SpanRecord is one finished span, structured-clone safe. Times are epoch milliseconds (fractional). */
export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string | undefined;
  /** parentRemote says the parent span lives in another process (default false). */
  readonly parentRemote?: boolean | undefined;
  readonly traceState?: string | undefined;
  readonly name: string;
  readonly kind: SpanKindName;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly status: { readonly code: 'unset' | 'ok' | 'error'; readonly message?: string | undefined };
  readonly events?: readonly {
    readonly name: string;
    readonly timeMs: number;
    readonly attributes: Readonly<Record<string, AttributeValue>>;
  }[];
  /** scope names the instrumentation that made the span (default `skiff`). */
  readonly scope?: { readonly name: string; readonly version?: string | undefined } | undefined;
}

/** TraceParent is a parsed W3C `traceparent`: the span a new span becomes a child of. */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** parseTraceparent reads a version-00 `traceparent` value; undefined for anything malformed or all-zero. */
export function parseTraceparent(value: string | undefined): TraceParent | undefined {
  if (value === undefined || value.length !== 55) return undefined;
  const m = TRACEPARENT.exec(value);
  if (!m || m[1] === ZERO_TRACE || m[2] === ZERO_SPAN) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, sampled: (Number.parseInt(m[3]!, 16) & 1) === 1 };
}

/** formatTraceparent prints a `traceparent` value for a span. */
export function formatTraceparent(parent: TraceParent): string {
  return `00-${parent.traceId}-${parent.spanId}-${parent.sampled ? '01' : '00'}`;
}

/** newSpanId returns a random 8-byte span id in hex. */
export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

/** newTraceId returns a random 16-byte trace id in hex. */
export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}
