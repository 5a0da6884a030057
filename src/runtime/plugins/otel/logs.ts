/**
 * `wasi:otel/logs` records, parsed at the edge into a pino level, a message and a few
 * bounded fields.
 */
import { z } from 'zod';
import type { AttributeValue } from '../../../telemetry/tracing/records.js';
import { attributesOf, attributeValue, MAX_TEXT } from './spans.js';

const keyValue = z.object({ key: z.string().min(1).max(256), value: z.string().max(MAX_TEXT) });

const logRecordSchema = z
  .object({
    severityText: z.string().max(64).optional(),
    severityNumber: z.number().int().min(0).max(255).optional(),
    body: z.string().max(MAX_TEXT).optional(),
    attributes: z.array(keyValue).max(1024).optional(),
    eventName: z.string().max(256).optional(),
    traceId: z
      .string()
      .regex(/^[0-9a-f]{32}$/)
      .optional(),
    spanId: z
      .string()
      .regex(/^[0-9a-f]{16}$/)
      .optional(),
  })
  .loose();

/** GuestLogRecord is a guest's log record ready for the workload's logger. */
export interface GuestLogRecord {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  readonly message: string;
  readonly fields: Record<string, AttributeValue>;
}

/** levelOf maps an OpenTelemetry severity number (1–24) to a pino level; info when absent. */
export function levelOf(severity: number | undefined): GuestLogRecord['level'] {
  if (severity === undefined || severity === 0) return 'info';
  if (severity <= 4) return 'trace';
  if (severity <= 8) return 'debug';
  if (severity <= 12) return 'info';
  if (severity <= 16) return 'warn';
  if (severity <= 20) return 'error';
  return 'fatal';
}

/** logRecordOf parses a guest's log record; undefined when it is malformed. */
export function logRecordOf(data: unknown): GuestLogRecord | undefined {
  const parsed = logRecordSchema.safeParse(data);
  if (!parsed.success) return undefined;
  const r = parsed.data;
  const body = r.body === undefined ? '' : attributeValue(r.body);
  const fields: Record<string, AttributeValue> = { ...attributesOf(r.attributes ?? []) };
  if (r.eventName) fields['event.name'] = r.eventName;
  if (r.traceId) fields.trace_id = r.traceId;
  if (r.spanId) fields.span_id = r.spanId;
  return { level: levelOf(r.severityNumber), message: typeof body === 'string' ? body : JSON.stringify(body), fields };
}
