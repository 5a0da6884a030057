/**
 * Start → first response of a workload on a host that is already running (the number that
 * matters for a host taking a start request), measured in this process: cold with an empty
 * transpile cache, warm with the component already transpiled and compiled, and cold on a
 * second host whose cache is empty but which shares transpile output with the first
 * through a NATS Object Store (docs/adr/0017). It loads the compiled host from dist/
 * (`npm run build`), as production does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { Workload } from '../dist/src/api/index.js';
import { natsTranspileStore } from '../dist/src/runtime/engine/shared-store.js';
import { DevRouter } from '../dist/src/runtime/http/routers.js';
import { HttpServerHandler } from '../dist/src/runtime/http/server.js';
import { type Host, HostBuilder } from '../dist/src/runtime/host.js';
import { createLogger } from '../dist/src/telemetry/logger.js';
import { startNatsServer } from './support.js';

/** StartTimes are milliseconds from workloadStart to the first 200 response. */
export interface StartTimes {
  cold: number;
  warm: number;
  /** shared is a cold start on a host that takes the first host's transpile from NATS. */
  shared: number;
}

const workload: Workload = {
  apiVersion: 'runtime.skiff.dev/v1alpha1',
  kind: 'Workload',
  metadata: { name: 'start', namespace: 'default' },
  spec: {
    replicas: 1,
    volumes: [],
    components: [{ name: 'web', image: '' }],
    hostInterfaces: [{ namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'] }],
  },
};

async function firstResponse(url: string): Promise<void> {
  const res = await fetch(url);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`first response was ${res.status}`);
}

/** timeStart starts generation `generation` of the workload and returns ms until its first response, then stops it. */
async function timeStart(host: Host, url: string, wasm: string, generation: number): Promise<number> {
  const started = performance.now();
  const w = { ...workload, metadata: { ...workload.metadata, generation } };
  w.spec = { ...w.spec, components: [{ name: 'web', image: `file://${wasm}` }] };
  await host.workloadStart(w);
  await firstResponse(url);
  const ms = performance.now() - started;
  await host.workloadStop('default/start');
  return ms;
}

/** measureStart measures the three starts of the component. */
export async function measureStart(wasm: string): Promise<StartTimes> {
  const nats = await startNatsServer();
  const nc = await connect({ servers: nats.url });
  const shared = {
    store: natsTranspileStore(nc),
    secret: new TextEncoder().encode('bench secret, at least 32 bytes long'),
  };
  const dirs: string[] = [];
  const hosts: Host[] = [];
  let sharedOnce: () => void = () => {};
  const wasShared = new Promise<void>((resolve) => {
    sharedOnce = resolve;
  });
  const startHost = async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'skiff-bench-start-'));
    dirs.push(cacheDir);
    const http = new HttpServerHandler({ port: 0, router: new DevRouter() });
    const logger = createLogger({
      level: 'info',
      destination: {
        write(line: string) {
          if (line.includes('"transpiled component shared"')) sharedOnce();
        },
      },
    });
    const host = new HostBuilder()
      .withLogger(logger)
      .withEngine({ cacheDir, shared })
      .withFileImageRoots(['/'])
      .withHttpHandler(http)
      .build();
    await host.start();
    hosts.push(host);
    return { host, url: `http://127.0.0.1:${http.port}/` };
  };
  try {
    const first = await startHost();
    // "A running host": let it finish starting its spare threads before the first workload.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const cold = await timeStart(first.host, first.url, wasm, 1);
    const warm = await timeStart(first.host, first.url, wasm, 2);
    await wasShared;
    const second = await startHost();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const sharedMs = await timeStart(second.host, second.url, wasm, 1);
    return { cold, warm, shared: sharedMs };
  } finally {
    for (const host of hosts) await host.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await nc.close();
    await nats.stop();
  }
}
