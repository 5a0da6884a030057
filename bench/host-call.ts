/**
 * The host's own cost per request, without HTTP: \`workload.http()\` in a loop (32 at a time)
 * on a host loaded from \`<root>/dist\`, measured as this process's CPU time per call. Run it
 * for this build and for a baseline (bench/baseline.ts caches one under
 * ~/.cache/skiff/bench-baseline/<commit>) one after the other, a few times:
 *   tsx bench/host-call.ts <root> [hello-c|hello-js]
 */
import { pathToFileURL } from 'node:url';
import { buildFixture } from '../tools/fixtures/build.js';
const [distRoot, guest] = [process.argv[2] ?? '.', process.argv[3] ?? 'hello-c'];
const { HostBuilder } = await import(pathToFileURL(`${distRoot}/dist/src/runtime/host.js`).href);
const wasm = await buildFixture(guest);
const host = new HostBuilder().withFileImageRoots(['/']).build();
await host.start();
await host.workloadStart({
  apiVersion: 'runtime.skiff.dev/v1alpha1',
  kind: 'Workload',
  metadata: { name: 'm', namespace: 'default' },
  spec: {
    replicas: 1,
    volumes: [],
    components: [{ name: 'web', image: `file://${wasm}` }],
    hostInterfaces: [{ namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'] }],
  },
});
const w = host.running()[0];
const req = { method: 'GET', url: 'http://x/', headers: [] as [string, string][], body: new Uint8Array() };
const run = async (n: number) => {
  let i = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (i++ < n) await w.http(req);
    }),
  );
};
await run(3000);
const N = 20000;
const c0 = process.cpuUsage();
const t0 = performance.now();
await run(N);
const c = process.cpuUsage(c0);
const ms = performance.now() - t0;
console.log(JSON.stringify({ cpuUs: (c.user + c.system) / N, rps: Math.round(N / (ms / 1000)) }));
await host.stop();
