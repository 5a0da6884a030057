/**
 * Host-side traces against a real OpenTelemetry Collector: a server span per request that
 * continues the caller's traceparent, child spans for the guest's plugin calls (from the
 * workload thread, through the one hook), a client span and a propagated traceparent for
 * outgoing HTTP, a published message's trace continued by its handler, and requests that
 * keep being served when the collector is gone.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryPlugins } from '../../src/runtime/plugins/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { tracingSettings } from '../../src/telemetry/tracing/config.js';
import { createTracing, type Tracing } from '../../src/telemetry/tracing/provider.js';
import { newSpanId, newTraceId } from '../../src/telemetry/tracing/records.js';
import { type CollectedSpan, publishTraced, startCollector, type TestCollector } from '../support/collector.js';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, KITCHEN_SINK_GRANTS, startTestHost, type TestHost, workload } from '../support/host.js';
import { settles, waitFor } from '../support/wait.js';

const SERVER = 2;
const CLIENT = 3;

let collector: TestCollector;
let tracing: Tracing;
let t: TestHost;
let upstream: Server;
let upstreamPort: number;
const upstreamHeaders: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  collector = await startCollector();
  const settings = tracingSettings({
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
    OTEL_SERVICE_NAME: 'skiff-test',
  });
  tracing = createTracing(settings!, { logger: createLogger({ level: 'silent' }), scheduledDelayMs: 50 });
  upstream = createServer((req, res) => {
    upstreamHeaders.push(req.headers);
    res.writeHead(200).end('from upstream');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as { port: number }).port;
  t = await startTestHost({ plugins: memoryPlugins(), tracing });
  const wasm = await fixturePath('kitchen-sink');
  const grants = [
    ...KITCHEN_SINK_GRANTS,
    { ...HTTP_GRANT, interfaces: ['incoming-handler', 'outgoing-handler'], config: { allowedHosts: '127.0.0.1' } },
  ];
  await t.host.workloadStart(workload('traced', [{ name: 'sink', image: `file://${wasm}` }], grants));
});

afterAll(async () => {
  await t?.stop();
  await tracing?.shutdown();
  await collector?.stop();
  upstream?.close();
});

function spansOf(traceId: string): CollectedSpan[] {
  return collector.spans().filter((s) => s.traceId === traceId);
}

describe('host-side traces', () => {
  it('continues the incoming traceparent with a server span, and nests the guest plugin calls under it', async () => {
    const traceId = newTraceId();
    const caller = newSpanId();
    const res = await t.request('/kv/set?key=traced', {
      method: 'POST',
      body: 'v',
      headers: { traceparent: `00-${traceId}-${caller}-01` },
    });
    expect(res.status).toBe(200);
    const spans = await waitFor('the server span and the keyvalue spans', () => {
      const all = spansOf(traceId);
      return all.some((s) => s.kind === SERVER) && all.some((s) => s.name.endsWith('Bucket.set')) && all;
    });
    const server = spans.find((s) => s.kind === SERVER)!;
    expect(server.parentSpanId).toBe(caller);
    expect(server.name).toBe('POST');
    expect(server.attributes['http.response.status_code']).toBe(200);
    expect(server.attributes['skiff.workload']).toBe('default/traced');
    expect(server.resource['service.name']).toBe('skiff-test');
    const open = spans.find((s) => s.name === 'wasi:keyvalue/store#open')!;
    const set = spans.find((s) => s.name === 'wasi:keyvalue/store#Bucket.set')!;
    expect(open.parentSpanId).toBe(server.spanId);
    expect(set.parentSpanId).toBe(server.spanId);
    expect(set.kind).toBe(CLIENT);
    expect(set.status.code ?? 0).toBe(0);
  });

  it("hands the guest the server span's traceparent in place of the caller's", async () => {
    const traceId = newTraceId();
    const caller = newSpanId();
    const res = await t.request('/info', { headers: { traceparent: `00-${traceId}-${caller}-01` } });
    const seen = (JSON.parse(res.text) as { headers: Record<string, string> }).headers.traceparent!;
    const server = await waitFor('the server span', () => spansOf(traceId).find((s) => s.kind === SERVER));
    expect(seen).toBe(`00-${traceId}-${server.spanId}-01`);
  });

  it('marks a plugin call that returns a WIT error as an error span', async () => {
    const traceId = newTraceId();
    const res = await t.request('/kv/get?bucket=bad!name&key=k', {
      headers: { traceparent: `00-${traceId}-${newSpanId()}-01` },
    });
    expect(res.status).toBe(404);
    const open = await waitFor('the failed open span', () =>
      spansOf(traceId).find((s) => s.name === 'wasi:keyvalue/store#open'),
    );
    expect(open.status).toMatchObject({ code: 2, message: 'no-such-store' });
  });

  it('starts a new trace for a request without traceparent', async () => {
    const before = new Set(collector.spans().map((s) => s.spanId));
    const res = await t.request('/hello');
    expect(res.status).toBe(200);
    const server = await waitFor('a root server span', () =>
      collector
        .spans()
        .find((s) => !before.has(s.spanId) && s.kind === SERVER && s.attributes['url.path'] === '/hello'),
    );
    expect(server.parentSpanId).toBe('');
    expect(server.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('gives outgoing HTTP a client span and sends its traceparent upstream', async () => {
    const traceId = newTraceId();
    upstreamHeaders.length = 0;
    const target = encodeURIComponent(`http://127.0.0.1:${upstreamPort}/x`);
    const res = await t.request(`/http/fetch?url=${target}`, {
      headers: { traceparent: `00-${traceId}-${newSpanId()}-01` },
    });
    expect(JSON.parse(res.text)).toEqual({ status: 200, body: 'from upstream' });
    const sent = upstreamHeaders.at(-1)?.traceparent as string;
    expect(sent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const clientId = sent.split('-')[2]!;
    const spans = await waitFor('the outgoing request span', () => {
      const all = spansOf(traceId);
      return all.some((s) => s.spanId === clientId) && all.some((s) => s.kind === SERVER) && all;
    });
    const client = spans.find((s) => s.spanId === clientId)!;
    const server = spans.find((s) => s.kind === SERVER)!;
    expect(client.kind).toBe(CLIENT);
    expect(client.name).toBe('GET');
    expect(client.parentSpanId).toBe(server.spanId);
    expect(client.attributes['http.response.status_code']).toBe(200);
  });

  it('sends no traceparent upstream for an unsampled request, and exports none of its spans', async () => {
    const traceId = newTraceId();
    upstreamHeaders.length = 0;
    const target = encodeURIComponent(`http://127.0.0.1:${upstreamPort}/y`);
    const res = await t.request(`/http/fetch?url=${target}`, {
      headers: { traceparent: `00-${traceId}-${newSpanId()}-00` },
    });
    expect(res.status).toBe(200);
    expect(upstreamHeaders.at(-1)?.traceparent).toBeUndefined();
    // A sampled request after it is exported; by then the unsampled one would have been too.
    const marker = newTraceId();
    await t.request('/hello', { headers: { traceparent: `00-${marker}-${newSpanId()}-01` } });
    await waitFor('the marker trace', () => spansOf(marker).length > 0);
    expect(spansOf(traceId)).toEqual([]);
  });

  it('carries the trace over the in-memory message bus to the handler, under a consumer span', async () => {
    const { publish, process } = await publishTraced(t, collector, 'orders.m1');
    expect(process.parentSpanId).toBe(publish.spanId);
    expect(process.attributes['messaging.destination.name']).toBe('orders.m1');
  });

  it('keeps serving, promptly, when the collector is gone', async () => {
    await collector.stop();
    for (let i = 0; i < 20; i++) {
      const res = await settles(
        'a traced request with the collector down',
        t.request('/kv/get?key=traced', { headers: { traceparent: `00-${newTraceId()}-${newSpanId()}-01` } }),
        10_000,
      );
      expect(res.status).toBe(200);
    }
  });
});
