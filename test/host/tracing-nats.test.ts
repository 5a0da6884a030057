/**
 * Traces through NATS, against a real nats-server and a real OpenTelemetry Collector, on a
 * host wired as `skiff host` wires it (the plugins' connection traced, workload threads with
 * NATS connections of their own): keyvalue calls become NATS request spans that carry the
 * traceparent in a NATS header, and a published message carries the trace to the workload
 * that handles it, whose own plugin calls join the same trace.
 */
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsPlugins } from '../../src/runtime/plugins/index.js';
import { tracedNats } from '../../src/runtime/plugins/traced-nats.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { tracingSettings } from '../../src/telemetry/tracing/config.js';
import { mainPluginTracer } from '../../src/telemetry/tracing/plugin-tracer.js';
import { createTracing, type Tracing } from '../../src/telemetry/tracing/provider.js';
import { newSpanId, newTraceId } from '../../src/telemetry/tracing/records.js';
import { type CollectedSpan, publishTraced, startCollector, type TestCollector } from '../support/collector.js';
import { fixturePath } from '../support/fixtures.js';
import { KITCHEN_SINK_GRANTS, startTestHost, type TestHost, workload } from '../support/host.js';
import { connectTest, startNats, type TestNatsServer } from '../support/nats.js';
import { waitFor } from '../support/wait.js';

const SERVER = 2;
const CLIENT = 3;

let server: TestNatsServer;
let collector: TestCollector;
let tracing: Tracing;
let nc: NatsConnection;
let watcher: NatsConnection;
let t: TestHost;
const seen: Msg[] = [];

beforeAll(async () => {
  [server, collector] = await Promise.all([startNats(), startCollector()]);
  const settings = tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint });
  tracing = createTracing(settings!, { logger: createLogger({ level: 'silent' }), scheduledDelayMs: 50 });
  nc = await connectTest(server);
  watcher = await connectTest(server);
  // What the host sends: key-value writes and published messages, with their headers.
  watcher.subscribe('$KV.>', { callback: (_e, m) => void seen.push(m) });
  watcher.subscribe('orders.>', { callback: (_e, m) => void seen.push(m) });
  await watcher.flush();
  const plugins = natsPlugins(tracedNats(nc, mainPluginTracer(tracing)), {
    timeoutMs: 2000,
    threads: { settings: { servers: [server.url] } },
  });
  t = await startTestHost({ plugins, tracing });
  const wasm = await fixturePath('kitchen-sink');
  const grants = [...KITCHEN_SINK_GRANTS, { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'] }];
  await t.host.workloadStart(workload('sink', [{ name: 'sink', image: `file://${wasm}` }], grants));
});

afterAll(async () => {
  await t?.stop();
  await tracing?.shutdown();
  await nc?.close();
  await watcher?.close();
  await collector?.stop();
  await server?.stop();
});

function spansOf(traceId: string): CollectedSpan[] {
  return collector.spans().filter((s) => s.traceId === traceId);
}

describe('traces through NATS', () => {
  it('makes a keyvalue write a NATS request span under the plugin call, and puts its traceparent on the message', async () => {
    const traceId = newTraceId();
    const res = await t.request('/kv/set?bucket=traced&key=k1', {
      method: 'POST',
      body: 'v',
      headers: { traceparent: `00-${traceId}-${newSpanId()}-01` },
    });
    expect(res.status).toBe(200);
    const spans = await waitFor('the keyvalue and NATS spans', () => {
      const all = spansOf(traceId);
      const set = all.find((s) => s.name === 'wasi:keyvalue/store#Bucket.set');
      return set && all.some((s) => s.name === 'nats request' && s.parentSpanId === set.spanId) && all;
    });
    const set = spans.find((s) => s.name === 'wasi:keyvalue/store#Bucket.set')!;
    const server = spans.find((s) => s.kind === SERVER)!;
    expect(set.parentSpanId).toBe(server.spanId);
    const request = spans.find((s) => s.name === 'nats request' && s.parentSpanId === set.spanId)!;
    expect(request.kind).toBe(CLIENT);
    expect(request.attributes['messaging.destination.name']).toMatch(/k1$/);
    const put = await waitFor('the key-value write on NATS', () =>
      seen.find((m) => m.subject.endsWith('.k1') && m.headers?.get('traceparent')?.includes(traceId)),
    );
    expect(put.headers?.get('traceparent')).toBe(`00-${traceId}-${request.spanId}-01`);
  });

  it('carries the trace in a published message to the handler, whose plugin calls join it', async () => {
    const { traceId, publish, process } = await publishTraced(t, collector, 'orders.o1');
    expect(process.parentSpanId).toBe(publish.spanId);
    expect(process.attributes['messaging.destination.name']).toBe('orders.o1');
    const message = seen.find((m) => m.subject === 'orders.o1')!;
    expect(message.headers?.get('traceparent')).toBe(`00-${traceId}-${publish.spanId}-01`);
    // The handler stored the message: its keyvalue calls hang under the process span.
    const stored = spansOf(traceId)
      .filter((s) => s.parentSpanId === process.spanId)
      .map((s) => s.name);
    expect(stored).toContain('wasi:keyvalue/store#open');
  });
});
