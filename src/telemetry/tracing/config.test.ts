import { describe, expect, it } from 'vitest';
import { TracingConfigError, tracingSettings } from './config.js';
import { formatTraceparent, parseTraceparent } from './records.js';

describe('tracingSettings', () => {
  it('is off when nothing is set, and when turned off explicitly', () => {
    expect(tracingSettings({})).toBeUndefined();
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'x' })).toBeUndefined();
    expect(
      tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }),
    ).toBeUndefined();
    expect(
      tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }),
    ).toBeUndefined();
  });

  it('derives the traces URL from the base endpoint, or takes the traces endpoint as it is', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' })?.url).toBe('http://c:4318/v1/traces');
    expect(
      tracingSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://t.example/otlp/traces',
      })?.url,
    ).toBe('https://t.example/otlp/traces');
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' })?.url).toBe('http://localhost:4318/v1/traces');
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })?.metricsUrl).toBe('http://c:4318/v1/metrics');
    expect(
      tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m/x' })?.metricsUrl,
    ).toBe('http://m/x');
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_METRICS_EXPORTER: 'none' })?.metricsUrl).toBeUndefined();
  });

  it('names the service, reads headers, resource attributes and the timeout', () => {
    const s = tracingSettings(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t, x=1',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
        OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      },
      'skiff-dev',
    );
    expect(s).toMatchObject({
      serviceName: 'skiff-dev',
      headers: { authorization: 'Bearer t', x: '1' },
      resourceAttributes: { 'deployment.environment': 'prod' },
      timeoutMs: 2500,
    });
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_SERVICE_NAME: 'mine' })?.serviceName).toBe(
      'mine',
    );
  });

  it('refuses what it cannot serve, naming the variable', () => {
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(() => tracingSettings({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(TracingConfigError);
    expect(() => tracingSettings({ ...base, OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://c' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => tracingSettings({ ...base, OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toThrow(
      /OTEL_EXPORTER_OTLP_HEADERS/,
    );
  });
});

describe('traceparent', () => {
  const id = '0af7651916cd43dd8448eb211c80319c';
  it('parses version 00 and prints it back', () => {
    const p = parseTraceparent(`00-${id}-b7ad6b7169203331-01`);
    expect(p).toEqual({ traceId: id, spanId: 'b7ad6b7169203331', sampled: true });
    expect(formatTraceparent(p!)).toBe(`00-${id}-b7ad6b7169203331-01`);
    expect(parseTraceparent(`00-${id}-b7ad6b7169203331-00`)?.sampled).toBe(false);
  });
  it('rejects malformed and all-zero values', () => {
    for (const bad of [
      undefined,
      '',
      `01-${id}-b7ad6b7169203331-01`,
      `00-${id.toUpperCase()}-b7ad6b7169203331-01`,
      `00-${'0'.repeat(32)}-b7ad6b7169203331-01`,
      `00-${id}-0000000000000000-01`,
      `00-${id}-b7ad6b7169203331-01-extra`,
    ]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });
});
