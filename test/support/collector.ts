/**
 * A real OpenTelemetry Collector for tests (built by tools/otelcol/build.sh): an OTLP/HTTP
 * receiver on a free loopback port and a file exporter whose JSON lines the test reads back.
 * Readiness is polled with a deadline, never slept for.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { newSpanId, newTraceId } from '../../src/telemetry/tracing/records.js';
import type { TestHost } from './host.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

/** COLLECTOR_VERSION must match tools/otelcol/build.sh. */
export const COLLECTOR_VERSION = 'v0.161.0';

/** COLLECTOR_BIN is the collector binary (override with SKIFF_OTELCOL). */
export const COLLECTOR_BIN =
  process.env.SKIFF_OTELCOL ??
  join(process.env.SKIFF_CACHE ?? join(homedir(), '.cache', 'skiff'), `otelcol-${COLLECTOR_VERSION}`, 'otelcol');

/** CollectedSpan is one span the collector wrote, with its resource's attributes flattened. */
export interface CollectedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
  readonly resource: Record<string, unknown>;
  readonly scope: string;
  readonly status: { code?: number; message?: string };
}

/** TestCollector is a running collector: its OTLP/HTTP endpoint and the spans it has written. */
export interface TestCollector {
  /** endpoint is the OTEL_EXPORTER_OTLP_ENDPOINT value (`http://127.0.0.1:<port>`). */
  readonly endpoint: string;
  /** spans reads every span written so far. */
  spans(): CollectedSpan[];
  /** metrics reads every metric batch written so far, as OTLP/JSON `resourceMetrics` entries. */
  metrics(): unknown[];
  stop(): Promise<void>;
}

const anyValue = z
  .object({
    stringValue: z.string().optional(),
    intValue: z.union([z.string(), z.number()]).optional(),
    boolValue: z.boolean().optional(),
    doubleValue: z.number().optional(),
  })
  .loose();
const keyValues = z.array(z.object({ key: z.string(), value: anyValue })).default([]);
const line = z.object({
  resourceMetrics: z.array(z.unknown()).default([]),
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: keyValues }).loose().default({ attributes: [] }),
        scopeSpans: z.array(
          z.object({
            scope: z
              .object({ name: z.string().default('') })
              .loose()
              .default({ name: '' }),
            spans: z.array(
              z
                .object({
                  traceId: z.string(),
                  spanId: z.string(),
                  parentSpanId: z.string().default(''),
                  name: z.string(),
                  kind: z.number().default(0),
                  attributes: keyValues,
                  status: z.object({ code: z.number().optional(), message: z.string().optional() }).loose().default({}),
                })
                .loose(),
            ),
          }),
        ),
      }),
    )
    .default([]),
});

function flatten(kvs: z.infer<typeof keyValues>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of kvs) {
    out[key] =
      value.stringValue ??
      (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
      value.boolValue ??
      value.doubleValue;
  }
  return out;
}

/** startCollector starts the collector and waits until its receiver answers. */
export async function startCollector(): Promise<TestCollector> {
  if (!existsSync(COLLECTOR_BIN)) {
    throw new Error(`OpenTelemetry Collector not found at ${COLLECTOR_BIN}: run bash tools/otelcol/build.sh`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'skiff-otelcol-'));
  const port = await freePort();
  const out = join(dir, 'spans.jsonl');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'receivers:',
      '  otlp:',
      '    protocols:',
      '      http:',
      `        endpoint: 127.0.0.1:${port}`,
      'exporters:',
      '  file:',
      `    path: ${out}`,
      '    flush_interval: 50ms',
      'service:',
      '  telemetry:',
      '    metrics:',
      '      level: none',
      '  pipelines:',
      '    traces:',
      '      receivers: [otlp]',
      '      exporters: [file]',
      '    metrics:',
      '      receivers: [otlp]',
      '      exporters: [file]',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(COLLECTOR_BIN, ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'the collector to accept OTLP/HTTP',
      async () => {
        if (child.exitCode !== null) throw new Error(`collector exited: ${stderr}`);
        const res = await fetch(`${endpoint}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"resourceSpans":[]}',
        });
        return res.ok;
      },
      30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    endpoint,
    spans() {
      if (!existsSync(out)) return [];
      const spans: CollectedSpan[] = [];
      for (const text of readFileSync(out, 'utf8').split('\n')) {
        if (text.trim() === '') continue;
        for (const rs of line.parse(JSON.parse(text)).resourceSpans) {
          const resource = flatten(rs.resource.attributes);
          for (const ss of rs.scopeSpans) {
            for (const s of ss.spans) {
              spans.push({ ...s, attributes: flatten(s.attributes), resource, scope: ss.scope.name });
            }
          }
        }
      }
      return spans;
    },
    metrics() {
      if (!existsSync(out)) return [];
      return readFileSync(out, 'utf8')
        .split('\n')
        .filter((text) => text.trim() !== '')
        .flatMap((text) => line.parse(JSON.parse(text)).resourceMetrics);
    },
    stop,
  };
}

/** SPAN_KIND_CONSUMER is OTLP's span kind of a message handled (what `CollectedSpan.kind` holds). */
export const SPAN_KIND_CONSUMER = 5;

/** MessageTrace is what publishTraced found: the trace, the guest's publish span and the handler's consumer span. */
export interface MessageTrace {
  readonly traceId: string;
  readonly publish: CollectedSpan;
  readonly process: CollectedSpan;
}

/**
 * publishTraced has the kitchen-sink guest publish to `subject` under a new sampled trace and
 * waits until the collector holds the publish span, the consumer span of the handler it
 * reached, and a keyvalue call the handler made under it.
 */
export async function publishTraced(t: TestHost, collector: TestCollector, subject: string): Promise<MessageTrace> {
  const traceId = newTraceId();
  const res = await t.request(`/msg/publish?subject=${subject}`, {
    method: 'POST',
    body: 'order',
    headers: { traceparent: `00-${traceId}-${newSpanId()}-01` },
  });
  if (res.status !== 200) throw new Error(`the guest's publish answered ${res.status}: ${res.text}`);
  const spans = await waitFor('the publish, process and handler spans', () => {
    const all = collector.spans().filter((s) => s.traceId === traceId);
    const process = all.find((s) => s.kind === SPAN_KIND_CONSUMER);
    return process && all.some((s) => s.parentSpanId === process.spanId && s.name.includes('keyvalue')) && all;
  });
  const publish = spans.find((s) => s.name === 'wasmcloud:messaging/consumer#publish');
  if (!publish) throw new Error('no publish span in the trace');
  return { traceId, publish, process: spans.find((s) => s.kind === SPAN_KIND_CONSUMER)! };
}
