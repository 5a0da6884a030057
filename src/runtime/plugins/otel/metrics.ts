/**
 * `wasi:otel/metrics` batches, parsed at the edge (zod, bounded) and turned into the
 * metrics SDK's shapes for the host's OTLP metric exporter.
 */
import { ValueType } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { AggregationTemporality, DataPointType, type MetricData, type ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { z } from 'zod';
import type { AttributeValue } from '../../../telemetry/tracing/records.js';
import { attributesOf, MAX_TEXT } from './spans.js';

/** MAX_POINTS bounds the data points of one export, all metrics together. */
export const MAX_POINTS = 10_000;

const datetime = z.object({ seconds: z.bigint().nonnegative(), nanoseconds: z.number().int().min(0).max(999_999_999) });
const keyValue = z.object({ key: z.string().min(1).max(256), value: z.string().max(MAX_TEXT) });
const attributes = z.array(keyValue).max(1024);
const number = z.union([
  z.object({ tag: z.literal('f64'), val: z.number() }),
  z.object({ tag: z.literal('s64'), val: z.bigint() }),
  z.object({ tag: z.literal('u64'), val: z.bigint() }),
]);
const count = z.bigint().nonnegative();
/** jco lifts list<f64> and list<u64> to typed arrays; plain arrays are taken too. */
const floats = (max: number) =>
  z
    .union([z.instanceof(Float64Array).transform((a) => Array.from(a)), z.array(z.number())])
    .pipe(z.array(z.number()).max(max));
const counts = (max: number) =>
  z.union([z.instanceof(BigUint64Array).transform((a) => Array.from(a)), z.array(count)]).pipe(z.array(count).max(max));
const temporality = z.enum(['cumulative', 'delta', 'low-memory']);
const point = z.object({ attributes, value: number });
const gauge = z.object({ dataPoints: z.array(point).max(MAX_POINTS), startTime: datetime.optional(), time: datetime });
const sum = z.object({
  dataPoints: z.array(point).max(MAX_POINTS),
  startTime: datetime,
  time: datetime,
  temporality,
  isMonotonic: z.boolean(),
});
const histogram = z.object({
  dataPoints: z
    .array(
      z.object({
        attributes,
        count,
        bounds: floats(256),
        bucketCounts: counts(257),
        min: number.optional(),
        max: number.optional(),
        sum: number,
      }),
    )
    .max(MAX_POINTS),
  startTime: datetime,
  time: datetime,
  temporality,
});
const bucket = z.object({ offset: z.number().int(), counts: counts(1024) });
const exponential = z.object({
  dataPoints: z
    .array(
      z.object({
        attributes,
        count,
        min: number.optional(),
        max: number.optional(),
        sum: number,
        scale: z.number().int(),
        zeroCount: count,
        positiveBucket: bucket,
        negativeBucket: bucket,
        zeroThreshold: z.number(),
      }),
    )
    .max(MAX_POINTS),
  startTime: datetime,
  time: datetime,
  temporality,
});
const data = z.union([
  z.object({ tag: z.enum(['f64-gauge', 'u64-gauge', 's64-gauge']), val: gauge }),
  z.object({ tag: z.enum(['f64-sum', 'u64-sum', 's64-sum']), val: sum }),
  z.object({ tag: z.enum(['f64-histogram', 'u64-histogram', 's64-histogram']), val: histogram }),
  z.object({
    tag: z.enum(['f64-exponential-histogram', 'u64-exponential-histogram', 's64-exponential-histogram']),
    val: exponential,
  }),
]);
const resourceMetricsSchema = z.object({
  resource: z.object({ attributes }).loose(),
  scopeMetrics: z
    .array(
      z.object({
        scope: z.object({ name: z.string().max(256), version: z.string().max(256).optional() }).loose(),
        metrics: z
          .array(
            z.object({
              name: z.string().min(1).max(256),
              description: z.string().max(MAX_TEXT),
              unit: z.string().max(64),
              data,
            }),
          )
          .max(256),
      }),
    )
    .max(16),
});

/** GuestMetrics is a guest's batch ready for export: its resource attributes and its scopes' metrics. */
export interface GuestMetrics {
  readonly resource: Record<string, AttributeValue>;
  readonly scopeMetrics: ScopeMetrics[];
}

const time = (t: z.infer<typeof datetime>) => millisToHrTime(Number(t.seconds) * 1000 + t.nanoseconds / 1e6);
const num = (n: z.infer<typeof number>) => Number(n.val);
const opt = (n: z.infer<typeof number> | undefined) => (n === undefined ? undefined : Number(n.val));
const temporal = (t: z.infer<typeof temporality>) =>
  t === 'cumulative' ? AggregationTemporality.CUMULATIVE : AggregationTemporality.DELTA;

function metricOf(m: { name: string; description: string; unit: string; data: z.infer<typeof data> }): MetricData {
  const descriptor = {
    name: m.name,
    description: m.description,
    unit: m.unit,
    valueType: m.data.tag.startsWith('f64') ? ValueType.DOUBLE : ValueType.INT,
  };
  const d = m.data;
  if (d.tag.endsWith('-gauge')) {
    const g = d.val as z.infer<typeof gauge>;
    const start = time(g.startTime ?? g.time);
    return {
      descriptor,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.GAUGE,
      dataPoints: g.dataPoints.map((p) => ({
        startTime: start,
        endTime: time(g.time),
        attributes: attributesOf(p.attributes),
        value: num(p.value),
      })),
    };
  }
  if (d.tag.endsWith('-sum')) {
    const s = d.val as z.infer<typeof sum>;
    return {
      descriptor,
      aggregationTemporality: temporal(s.temporality),
      dataPointType: DataPointType.SUM,
      isMonotonic: s.isMonotonic,
      dataPoints: s.dataPoints.map((p) => ({
        startTime: time(s.startTime),
        endTime: time(s.time),
        attributes: attributesOf(p.attributes),
        value: num(p.value),
      })),
    };
  }
  if (d.tag.endsWith('-exponential-histogram')) {
    const e = d.val as z.infer<typeof exponential>;
    return {
      descriptor,
      aggregationTemporality: temporal(e.temporality),
      dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
      dataPoints: e.dataPoints.map((p) => ({
        startTime: time(e.startTime),
        endTime: time(e.time),
        attributes: attributesOf(p.attributes),
        value: {
          count: Number(p.count),
          sum: num(p.sum),
          scale: p.scale,
          zeroCount: Number(p.zeroCount),
          positive: { offset: p.positiveBucket.offset, bucketCounts: p.positiveBucket.counts.map(Number) },
          negative: { offset: p.negativeBucket.offset, bucketCounts: p.negativeBucket.counts.map(Number) },
          min: opt(p.min),
          max: opt(p.max),
        },
      })),
    };
  }
  const h = d.val as z.infer<typeof histogram>;
  return {
    descriptor,
    aggregationTemporality: temporal(h.temporality),
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: h.dataPoints.map((p) => ({
      startTime: time(h.startTime),
      endTime: time(h.time),
      attributes: attributesOf(p.attributes),
      value: {
        buckets: { boundaries: p.bounds, counts: p.bucketCounts.map(Number) },
        sum: num(p.sum),
        count: Number(p.count),
        min: opt(p.min),
        max: opt(p.max),
      },
    })),
  };
}

/** pointCount counts the data points of a batch before it is parsed (0 for what has no such shape). */
function pointCount(value: unknown): number {
  const scopes = (value as { scopeMetrics?: unknown } | null)?.scopeMetrics;
  if (!Array.isArray(scopes)) return 0;
  let n = 0;
  for (const scope of scopes) {
    const metrics = (scope as { metrics?: unknown } | null)?.metrics;
    if (!Array.isArray(metrics)) continue;
    for (const m of metrics) {
      const points = (m as { data?: { val?: { dataPoints?: unknown } } } | null)?.data?.val?.dataPoints;
      if (Array.isArray(points)) n += points.length;
    }
  }
  return n;
}

/** guestMetricsOf parses a guest's `resource-metrics`; a string saying why when it is refused. */
export function guestMetricsOf(value: unknown): GuestMetrics | string {
  const points = pointCount(value);
  if (points > MAX_POINTS) return `too many data points (${points}; at most ${MAX_POINTS})`;
  const parsed = resourceMetricsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `invalid metrics at ${issue.path.join('.')}: ${issue.message}`;
  }
  return {
    resource: attributesOf(parsed.data.resource.attributes),
    scopeMetrics: parsed.data.scopeMetrics.map((s) => ({
      scope: { name: s.scope.name || 'guest', ...(s.scope.version ? { version: s.scope.version } : {}) },
      metrics: s.metrics.map(metricOf),
    })),
  };
}
