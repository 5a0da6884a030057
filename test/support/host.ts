/**
 * A real host for tests: the engine with a per-run cache, the given plugins, an HTTP
 * server and an admin server on free loopback ports.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Workload } from '../../src/api/index.js';
import type { SharedTranspiles } from '../../src/runtime/engine/shared-store.js';
import type { ComponentSource } from '../../src/runtime/engine/source.js';
import { type Host, HostBuilder, type ThreadOptions } from '../../src/runtime/host.js';
import { AdminHandler } from '../../src/runtime/http/admin.js';
import { DevRouter, type Router } from '../../src/runtime/http/routers.js';
import { HttpServerHandler } from '../../src/runtime/http/server.js';
import type { HostPlugin } from '../../src/runtime/plugin.js';
import { createLogger } from '../../src/telemetry/logger.js';
import type { Tracing } from '../../src/telemetry/tracing/provider.js';

/** TestHost is a started host and how to reach it. */
export interface TestHost {
  host: Host;
  /** http is the host's HTTP server. */
  http: HttpServerHandler;
  /** logs are the host's log records (JSON-parsed), newest last. */
  logs: Record<string, unknown>[];
  url: string;
  adminUrl: string;
  /** get fetches a path from the host's HTTP server, optionally for a virtual host. */
  request(path: string, init?: RequestInit & { host?: string }): Promise<{ status: number; text: string }>;
  stop(): Promise<void>;
}

const cacheDir = join(tmpdir(), `skiff-test-cache-${process.pid}`);

/**
 * startTestHost builds and starts a host (component `sources`, e.g. OCI, are tried before
 * file:// and https://). `engine` overrides the per-run transpile cache and may share
 * transpile output.
 */
export async function startTestHost(
  options: {
    plugins?: HostPlugin[];
    router?: Router;
    sources?: ComponentSource[];
    logLevel?: string;
    engine?: { cacheDir?: string; shared?: SharedTranspiles };
    threads?: ThreadOptions;
    tracing?: Tracing;
  } = {},
): Promise<TestHost> {
  const http = new HttpServerHandler({ port: 0, router: options.router ?? new DevRouter() });
  const logs: Record<string, unknown>[] = [];
  const destination = {
    write(line: string) {
      logs.push(JSON.parse(line) as Record<string, unknown>);
      if (logs.length > 5000) logs.splice(0, 1000);
    },
  };
  const admin = new AdminHandler({ port: 0 });
  const builder = new HostBuilder()
    .withLogger(createLogger({ level: options.logLevel ?? 'info', destination }))
    .withEngine({ cacheDir, ...options.engine })
    .withWorkDir(mkdtempSync(join(tmpdir(), 'skiff-test-work-')))
    // Tests start fixtures from the fixture cache and temp folders.
    .withFileImageRoots(['/'])
    .withHttpHandler(http)
    .withHttpHandler(admin)
    .withThreads(options.threads ?? {})
    .withTracing(options.tracing);
  for (const p of options.plugins ?? []) builder.withPlugin(p);
  for (const source of options.sources ?? []) builder.withSource(source);
  const host = builder.build();
  await host.start();
  const url = `http://127.0.0.1:${http.port}`;
  return {
    host,
    http,
    logs,
    url,
    adminUrl: `http://127.0.0.1:${admin.port}`,
    async request(path, init = {}) {
      const { host: vhost, ...rest } = init;
      const headers = new Headers(rest.headers);
      const res = await fetchVia(url + path, { ...rest, headers }, vhost);
      return res;
    },
    stop: () => host.stop(),
  };
}

async function fetchVia(
  url: string,
  init: RequestInit,
  vhost: string | undefined,
): Promise<{ status: number; text: string }> {
  if (!vhost) {
    const res = await fetch(url, init);
    return { status: res.status, text: await res.text() };
  }
  // fetch() does not let callers set Host; use node:http for virtual-host requests.
  const { request } = await import('node:http');
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: init.method ?? 'GET',
        headers: { host: vhost },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(init.body as string | undefined);
  });
}

/** workload builds a Workload manifest for tests. */
export function workload(
  name: string,
  components: Workload['spec']['components'],
  hostInterfaces: Workload['spec']['hostInterfaces'],
  extra: Partial<Workload['spec']> & { namespace?: string } = {},
): Workload {
  const { namespace, ...spec } = extra;
  return {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name, namespace: namespace ?? 'default' },
    spec: { replicas: 1, volumes: [], ...spec, components, hostInterfaces },
  };
}

/** HTTP_GRANT grants serving HTTP. */
export const HTTP_GRANT = { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'] };

/** KITCHEN_SINK_GRANTS grant every capability the kitchen-sink guest imports (HTTP aside). */
export const KITCHEN_SINK_GRANTS: Workload['spec']['hostInterfaces'] = [
  { namespace: 'wasi', package: 'keyvalue', interfaces: ['store', 'atomics', 'batch'], version: '0.2.0-draft' },
  { namespace: 'wasi', package: 'blobstore', interfaces: ['blobstore'], version: '0.2.0-draft' },
  { namespace: 'wasi', package: 'config', interfaces: ['store'], version: '0.2.0-rc.1' },
  { namespace: 'wasi', package: 'logging', interfaces: ['logging'], version: '0.1.0-draft' },
  {
    namespace: 'wasmcloud',
    package: 'messaging',
    interfaces: ['consumer', 'handler'],
    version: '0.2.0',
    config: { subscriptions: 'orders.>' },
  },
];
