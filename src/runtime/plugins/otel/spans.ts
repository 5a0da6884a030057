/**
 * What a guest hands `wasi:otel`, parsed at the edge: span data (jco's shape of the WIT
 * records) becomes a bounded SpanRecord, attribute values (JSON text) become attribute
 * values, and anything malformed is refused rather than exported.
 */
import { z } from 'zod';
import type { AttributeValue, SpanKindName, SpanRecord } from '../../../telemetry/tracing/records.js';

/** MAX_ATTRIBUTES bounds the attributes kept per span, event or log record. */
export const MAX_ATTRIBUTES = 64;
/** MAX_EVENTS bounds the events kept per span. */
export const MAX_EVENTS = 32;
/** MAX_TEXT bounds names, attribute keys and values, status messages (characters). */
export const MAX_TEXT = 4096;

const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`));
const datetime = z.object({ seconds: z.bigint().nonnegative(), nanoseconds: z.number().int().min(0).max(999_999_999) });
const keyValue = z.object({ key: z.string().min(1).max(256), value: z.string().max(MAX_TEXT) });

/** spanContextSchema is `wasi:otel/tracing.span-context`. */
export const spanContextSchema = z.object({
  traceId: hex(32),
  spanId: hex(16),
  traceFlags: z.object({ sampled: z.boolean().optional() }).loose(),
  isRemote: z.boolean(),
  traceState: z.array(z.tuple([z.string().max(256), z.string().max(256)])).max(32),
});

/** spanDataSchema is `wasi:otel/tracing.span-data` (links are accepted and not exported). */
export const spanDataSchema = z.object({
  spanContext: spanContextSchema,
  parentSpanId: z.union([hex(16), z.literal('')]),
  spanKind: z.enum(['client', 'server', 'producer', 'consumer', 'internal']),
  name: z.string().min(1).max(256),
  startTime: datetime,
  endTime: datetime,
  attributes: z.array(keyValue).max(1024),
  events: z
    .array(z.object({ name: z.string().min(1).max(256), time: datetime, attributes: z.array(keyValue).max(1024) }))
    .max(1024),
  links: z.array(z.unknown()).max(1024),
  status: z.union([
    z.object({ tag: z.literal('unset') }),
    z.object({ tag: z.literal('ok') }),
    z.object({ tag: z.literal('error'), val: z.string().max(MAX_TEXT) }),
  ]),
  instrumentationScope: z.object({ name: z.string().max(256), version: z.string().max(256).optional() }).loose(),
  droppedAttributes: z.number().int().nonnegative(),
  droppedEvents: z.number().int().nonnegative(),
  droppedLinks: z.number().int().nonnegative(),
});

function millis(t: z.infer<typeof datetime>): number {
  return Number(t.seconds) * 1000 + t.nanoseconds / 1e6;
}

function primitive(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** attributeValue reads a `wasi:otel` value (JSON text): primitives and homogeneous arrays of them; anything else stays text. */
export function attributeValue(text: string): AttributeValue {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return text;
  }
  if (primitive(v)) return v;
  if (Array.isArray(v) && v.every(primitive) && new Set(v.map((x) => typeof x)).size <= 1) return v as AttributeValue;
  return text;
}

/** attributesOf turns key-value pairs into attributes, at most MAX_ATTRIBUTES (the first ones win). */
export function attributesOf(kvs: readonly { key: string; value: string }[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of kvs.slice(0, MAX_ATTRIBUTES)) out[key] = attributeValue(value);
  return out;
}

/** spanRecordOf parses a guest's span data; undefined when it is malformed or not sampled. */
export function spanRecordOf(data: unknown): SpanRecord | undefined {
  const parsed = spanDataSchema.safeParse(data);
  if (!parsed.success) return undefined;
  const s = parsed.data;
  if (s.spanContext.traceFlags.sampled !== true) return undefined;
  return {
    traceId: s.spanContext.traceId,
    spanId: s.spanContext.spanId,
    parentSpanId: s.parentSpanId === '' ? undefined : s.parentSpanId,
    ...(s.spanContext.traceState.length > 0
      ? { traceState: s.spanContext.traceState.map(([k, v]) => `${k}=${v}`).join(',') }
      : {}),
    name: s.name,
    kind: s.spanKind as SpanKindName,
    startMs: millis(s.startTime),
    endMs: millis(s.endTime),
    attributes: attributesOf(s.attributes),
    events: s.events
      .slice(0, MAX_EVENTS)
      .map((e) => ({ name: e.name, timeMs: millis(e.time), attributes: attributesOf(e.attributes) })),
    status: s.status.tag === 'error' ? { code: 'error', message: s.status.val } : { code: s.status.tag },
    scope: { name: s.instrumentationScope.name || 'guest', version: s.instrumentationScope.version },
  };
}
