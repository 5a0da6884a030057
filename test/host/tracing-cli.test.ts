/**
 * Tracing in `skiff dev` and `skiff host` as users turn it on: the standard OTEL_* variables,
 * a real OpenTelemetry Collector, a real nats-server for the host. A bad setting stops the
 * command with the variable named.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSpanId, newTraceId } from '../../src/telemetry/tracing/records.js';
import { runCli } from '../support/cli.js';
import { type CollectedSpan, startCollector, type TestCollector } from '../support/collector.js';
import { fixturePath } from '../support/fixtures.js';
import { useNats } from '../support/nats.js';
import { waitFor } from '../support/wait.js';

const nats = useNats();
let collector: TestCollector;
let wasm: string;

beforeAll(async () => {
  [collector, wasm] = await Promise.all([startCollector(), fixturePath('kitchen-sink')]);
});
afterAll(async () => {
  await collector?.stop();
});

/** send makes one request with a traceparent (and a Host header) and resolves with its status. */
function send(port: number, path: string, vhost: string, traceparent: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ hostname: '127.0.0.1', port, path, headers: { host: vhost, traceparent } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

function spansOf(traceId: string): CollectedSpan[] {
  return collector.spans().filter((s) => s.traceId === traceId);
}

describe('tracing from the command line', () => {
  it('skiff dev exports a server span and the guest plugin calls to OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const cli = runCli(['dev', wasm, '--port', '0', '--metrics-port', '0', '--no-watch'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
    });
    try {
      const [, port] = await cli.waitFor(/serving .* on http:\/\/127\.0\.0\.1:(\d+)\//);
      const traceId = newTraceId();
      expect(await send(Number(port), '/kv/incr?key=n', 'localhost', `00-${traceId}-${newSpanId()}-01`)).toBe(200);
      const spans = await waitFor('the dev spans', () => {
        const all = spansOf(traceId);
        return all.some((s) => s.name === 'wasi:keyvalue/atomics#increment') && all;
      });
      const server = spans.find((s) => s.kind === 2)!;
      expect(server.resource['service.name']).toBe('skiff-dev');
      expect(spans.find((s) => s.name === 'wasi:keyvalue/atomics#increment')!.parentSpanId).toBe(server.spanId);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('skiff host exports the request, its plugin calls and their NATS requests under OTEL_SERVICE_NAME', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-otel-'));
    const manifest = join(dir, 'sink.yaml');
    writeFileSync(
      manifest,
      `apiVersion: runtime.skiff.dev/v1alpha1
kind: Workload
metadata: { name: sink, namespace: traced }
spec:
  components: [{ name: sink, image: "file://${wasm}" }]
  hostInterfaces:
    - { namespace: wasi, package: http, interfaces: [incoming-handler], config: { host: sink.test } }
    - { namespace: wasi, package: keyvalue, interfaces: [store, atomics, batch], version: 0.2.0-draft }
    - { namespace: wasi, package: blobstore, interfaces: [blobstore], version: 0.2.0-draft }
    - { namespace: wasi, package: config, interfaces: [store], version: 0.2.0-rc.1 }
    - { namespace: wasi, package: logging, interfaces: [logging], version: 0.1.0-draft }
    - { namespace: wasmcloud, package: messaging, interfaces: [consumer], version: 0.2.0 }
`,
    );
    const host = runCli(
      [
        'host',
        '--nats',
        nats().url,
        '--name',
        'otel-host',
        '--port',
        '0',
        '--bind',
        '127.0.0.1',
        '--metrics-port',
        '0',
        '--allow-file-images',
        dirname(wasm),
      ],
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.endpoint}/v1/traces`, OTEL_SERVICE_NAME: 'edge-hosts' },
    );
    try {
      const [, port] = await host.waitFor(/otel-host ready; http port (\d+)/);
      const ctl = runCli(['ctl', '--nats', nats().url, 'start', manifest, '--host', 'otel-host']);
      await ctl.exited;
      expect(ctl.output()).toContain('traced/sink Running on otel-host');
      const traceId = newTraceId();
      expect(await send(Number(port), '/kv/incr?key=n', 'sink.test', `00-${traceId}-${newSpanId()}-01`)).toBe(200);
      const spans = await waitFor('the host spans', () => {
        const all = spansOf(traceId);
        const incr = all.find((s) => s.name === 'wasi:keyvalue/atomics#increment');
        return incr && all.some((s) => s.name === 'nats request' && s.parentSpanId === incr.spanId) && all;
      });
      const server = spans.find((s) => s.kind === 2)!;
      expect(server.resource['service.name']).toBe('edge-hosts');
      expect(server.attributes['skiff.workload']).toBe('traced/sink');
    } finally {
      expect(await host.stop()).toBe(0);
    }
  });

  it('refuses an OTEL setting it cannot serve, naming the variable', async () => {
    const cli = runCli(['dev', wasm, '--port', '0'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    });
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL: grpc is not served/);
  });
});
