/**
 * `wasi:otel` for guests, against a real OpenTelemetry Collector: a JS guest (test/fixtures/
 * otel-js) asks for the span it runs under, reports a span of its own as its child, and the
 * collector receives it in the request's trace with the guest's name, attributes and event;
 * its metrics reach the collector under the host's resource; without host tracing the guest
 * gets an invalid context and nothing is exported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryPlugins } from '../../src/runtime/plugins/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { tracingSettings } from '../../src/telemetry/tracing/config.js';
import { createTracing, type Tracing } from '../../src/telemetry/tracing/provider.js';
import { newSpanId, newTraceId } from '../../src/telemetry/tracing/records.js';
import { startCollector, type TestCollector } from '../support/collector.js';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, startTestHost, type TestHost, workload } from '../support/host.js';
import { waitFor } from '../support/wait.js';

const GRANTS = [
  HTTP_GRANT,
  { namespace: 'wasi', package: 'otel', interfaces: ['tracing', 'metrics'], version: '0.2.0-rc.2' },
  { namespace: 'wasi', package: 'keyvalue', interfaces: ['store'], version: '0.2.0-draft' },
];

let collector: TestCollector;
let tracing: Tracing;
let traced: TestHost;
let plain: TestHost;

interface Answer {
  outer: { traceId: string; spanId: string; sampled: boolean };
  span: string;
}

beforeAll(async () => {
  const wasm = await fixturePath('otel-js');
  collector = await startCollector();
  const settings = tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint });
  tracing = createTracing(settings!, { logger: createLogger({ level: 'silent' }), scheduledDelayMs: 50 });
  traced = await startTestHost({ plugins: memoryPlugins(), tracing });
  plain = await startTestHost({ plugins: memoryPlugins() });
  const spec = workload('otel', [{ name: 'guest', image: `file://${wasm}` }], GRANTS);
  await traced.host.workloadStart(spec);
  await plain.host.workloadStart(spec);
});

afterAll(async () => {
  await traced?.stop();
  await plain?.stop();
  await tracing?.shutdown();
  await collector?.stop();
});

describe('wasi:otel', () => {
  it("exports the guest's span as a child of the request's server span", async () => {
    const traceId = newTraceId();
    const res = await traced.request('/work?x=1', { headers: { traceparent: `00-${traceId}-${newSpanId()}-01` } });
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.text) as Answer;
    expect(answer.outer.traceId).toBe(traceId);
    expect(answer.outer.sampled).toBe(true);
    const spans = await waitFor('the guest span', () => {
      const all = collector.spans().filter((s) => s.traceId === traceId);
      return all.some((s) => s.spanId === answer.span) && all;
    });
    const server = spans.find((s) => s.kind === 2)!;
    const guest = spans.find((s) => s.spanId === answer.span)!;
    // The outer context the guest got is the server span itself, and the guest's span is its child.
    expect(answer.outer.spanId).toBe(server.spanId);
    expect(guest.parentSpanId).toBe(server.spanId);
    expect(guest.name).toBe('guest work');
    expect(guest.scope).toBe('otel-js');
    expect(guest.attributes).toMatchObject({ 'guest.path': '/work?x=1', 'guest.answer': 42 });
    expect(guest.status.code).toBe(1);
    // The guest's keyvalue call inside its span is traced by the host too, under the server span.
    expect(spans.find((s) => s.name === 'wasi:keyvalue/store#Bucket.set')?.parentSpanId).toBe(server.spanId);
  });

  it('gives an unsampled request an unsampled context, and exports nothing of it', async () => {
    const traceId = newTraceId();
    const res = await traced.request('/', { headers: { traceparent: `00-${traceId}-${newSpanId()}-00` } });
    const answer = JSON.parse(res.text) as Answer;
    expect(answer.outer.sampled).toBe(false);
    const marker = newTraceId();
    await traced.request('/', { headers: { traceparent: `00-${marker}-${newSpanId()}-01` } });
    await waitFor('the marker trace', () => collector.spans().some((s) => s.traceId === marker));
    expect(collector.spans().filter((s) => s.traceId === traceId)).toEqual([]);
  });

  it("exports the guest's metrics under the host's resource, and refuses an oversized batch", async () => {
    const res = await traced.request('/metrics?n=7');
    expect(JSON.parse(res.text)).toEqual({ exported: true });
    const batch = await waitFor('the guest metrics', () =>
      collector.metrics().find((rm) => JSON.stringify(rm).includes('guest.requests')),
    );
    const text = JSON.stringify(batch);
    const attrs = (batch as { resource: { attributes: { key: string; value: { stringValue?: string } }[] } }).resource
      .attributes;
    const resource = Object.fromEntries(attrs.map((a) => [a.key, a.value.stringValue]));
    expect(resource).toMatchObject({
      'service.name': 'skiff-host',
      'skiff.workload': 'default/otel',
      'skiff.component': 'guest',
      'guest.resource': 'otel-js',
    });
    expect(text).toMatch(/"name":"guest\.requests".*"asInt":"7"/);
    expect(text).toMatch(/"isMonotonic":true/);
    expect(text).toMatch(/"name":"guest\.latency".*"bucketCounts":\["1","1","1"\].*"explicitBounds":\[1,10\]/);
    const bad = await traced.request('/metrics/bad');
    expect(JSON.parse(bad.text).error).toMatch(/too many data points/);
  });

  it('answers an invalid context on a host that does not trace', async () => {
    const res = await plain.request('/', { headers: { traceparent: `00-${newTraceId()}-${newSpanId()}-01` } });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.text) as Answer).outer).toEqual({
      traceId: '0'.repeat(32),
      spanId: '0'.repeat(16),
      sampled: false,
    });
    // Metrics are accepted and dropped: the guest's SDK sees no error.
    expect(JSON.parse((await plain.request('/metrics?n=1')).text)).toEqual({ exported: true });
  });
});
