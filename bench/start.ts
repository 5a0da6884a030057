/**
 * Start → first response of a workload on a host that is already running (the number that
 * matters for a host taking a start request), measured in this process: cold with an empty
 * transpile cache, warm with the component already transpiled and compiled. It loads the
 * compiled host from dist/ (`npm run build`), as production does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Workload } from '../dist/src/api/index.js';
import { DevRouter } from '../dist/src/runtime/http/routers.js';
import { HttpServerHandler } from '../dist/src/runtime/http/server.js';
import { HostBuilder } from '../dist/src/runtime/host.js';

/** StartTimes are milliseconds from workloadStart to the first 200 response. */
export interface StartTimes {
  cold: number;
  warm: number;
}

async function firstResponse(url: string): Promise<void> {
  const res = await fetch(url);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`first response was ${res.status}`);
}

/** measureStart starts the component twice on one host: once cold, once warm. */
export async function measureStart(wasm: string): Promise<StartTimes> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'skiff-bench-start-'));
  const http = new HttpServerHandler({ port: 0, router: new DevRouter() });
  const host = new HostBuilder().withEngine({ cacheDir }).withFileImageRoots(['/']).withHttpHandler(http).build();
  await host.start();
  // "A running host": let it finish starting its spare workers before the first workload.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const workload: Workload = {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name: 'start', namespace: 'default' },
    spec: {
      replicas: 1,
      volumes: [],
      components: [{ name: 'web', image: `file://${wasm}` }],
      hostInterfaces: [{ namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'] }],
    },
  };
  const url = `http://127.0.0.1:${http.port}/`;
  try {
    const times: number[] = [];
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      await host.workloadStart({ ...workload, metadata: { ...workload.metadata, generation: i + 1 } });
      await firstResponse(url);
      times.push(performance.now() - started);
      await host.workloadStop('default/start');
    }
    return { cold: times[0]!, warm: times[1]! };
  } finally {
    await host.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
