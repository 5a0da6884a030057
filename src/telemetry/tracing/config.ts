/**
 * Tracing settings from the standard OpenTelemetry environment variables, parsed once. Off
 * unless an OTLP endpoint is set or OTEL_TRACES_EXPORTER=otlp; OTEL_TRACES_EXPORTER=none or
 * OTEL_SDK_DISABLED=true turn it off again. Only OTLP over HTTP is served (JSON encoding).
 */
import { z } from 'zod';

/** TracingConfigError means an OTEL_* variable holds a value Skiff cannot use. */
export class TracingConfigError extends Error {
  readonly code = 'SKIFF_TRACING_CONFIG';
  override readonly name = 'TracingConfigError';
}

/** TracingSettings say where spans go and how the host names itself. */
export interface TracingSettings {
  /** url is the full OTLP/HTTP traces URL (`…/v1/traces`). */
  readonly url: string;
  /** serviceName is the `service.name` resource attribute. */
  readonly serviceName: string;
  /** headers are sent with every export (OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TRACES_HEADERS). */
  readonly headers: Readonly<Record<string, string>>;
  /** resourceAttributes come from OTEL_RESOURCE_ATTRIBUTES. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** timeoutMs bounds one export (OTEL_EXPORTER_OTLP_TRACES_TIMEOUT / _TIMEOUT, default 10 s). */
  readonly timeoutMs: number;
  /**
   * metricsUrl is where guests' `wasi:otel` metrics go (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
   * else the base endpoint + `/v1/metrics`); undefined when OTEL_METRICS_EXPORTER=none.
   */
  readonly metricsUrl: string | undefined;
}

const httpUrl = z.url({ protocol: /^https?$/ });
const keyValues = z
  .string()
  .max(8192)
  .transform((s, ctx) => {
    const out: Record<string, string> = {};
    for (const part of s.split(',')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      if (eq <= 0) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(part)} is not key=value` });
        return z.NEVER;
      }
      out[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
    }
    return out;
  });

const envSchema = z.object({
  OTEL_SDK_DISABLED: z.string().optional(),
  OTEL_TRACES_EXPORTER: z.string().optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: httpUrl.optional(),
  OTEL_METRICS_EXPORTER: z.string().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.string().optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.string().optional(),
  OTEL_EXPORTER_OTLP_HEADERS: keyValues.optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValues.optional(),
  OTEL_EXPORTER_OTLP_TIMEOUT: z.coerce.number().int().positive().max(600_000).optional(),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: z.coerce.number().int().positive().max(600_000).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(256).optional(),
  OTEL_RESOURCE_ATTRIBUTES: keyValues.optional(),
});

/** DEFAULT_ENDPOINT is where OTEL_TRACES_EXPORTER=otlp alone sends spans. */
export const DEFAULT_ENDPOINT = 'http://localhost:4318';

/**
 * tracingSettings reads the OTEL_* variables of `env`; undefined when tracing is off.
 * `defaultServiceName` names the service when OTEL_SERVICE_NAME does not. Throws a
 * TracingConfigError for a value it cannot use (say, the grpc protocol).
 */
export function tracingSettings(
  env: Readonly<Record<string, string | undefined>>,
  defaultServiceName = 'skiff-host',
): TracingSettings | undefined {
  const empty = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const raw = Object.fromEntries(Object.keys(envSchema.shape).map((k) => [k, empty(env[k])]));
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TracingConfigError(`${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return undefined;
  const exporters = (e.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (exporters.includes('none')) return undefined;
  const unknown = exporters.filter((x) => x !== 'otlp');
  if (unknown.length > 0)
    throw new TracingConfigError(`OTEL_TRACES_EXPORTER: only otlp (or none) is served, not ${unknown.join(', ')}`);
  const explicit = exporters.includes('otlp');
  if (!explicit && !e.OTEL_EXPORTER_OTLP_ENDPOINT && !e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  const protocol = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/json';
  if (protocol !== 'http/json' && protocol !== 'http/protobuf') {
    throw new TracingConfigError(`OTEL_EXPORTER_OTLP_PROTOCOL: ${protocol} is not served (use http/json)`);
  }
  const base = (e.OTEL_EXPORTER_OTLP_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  return Object.freeze({
    url: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${base}/v1/traces`,
    serviceName: e.OTEL_SERVICE_NAME ?? defaultServiceName,
    headers: Object.freeze({ ...e.OTEL_EXPORTER_OTLP_HEADERS, ...e.OTEL_EXPORTER_OTLP_TRACES_HEADERS }),
    resourceAttributes: Object.freeze({ ...e.OTEL_RESOURCE_ATTRIBUTES }),
    timeoutMs: e.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? e.OTEL_EXPORTER_OTLP_TIMEOUT ?? 10_000,
    metricsUrl:
      e.OTEL_METRICS_EXPORTER?.trim().toLowerCase() === 'none'
        ? undefined
        : (e.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT ?? `${base}/v1/metrics`),
  });
}
