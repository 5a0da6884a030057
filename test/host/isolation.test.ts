/**
 * Failure isolation: a trap fails one request and the instance is replaced; a guest stuck
 * in a loop is stopped after its timeout; a guest growing past its memory limit is
 * stopped. The host and every other workload keep serving throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryPlugins } from '../../src/runtime/plugins/index.js';
import { VirtualHostRouter } from '../../src/runtime/http/routers.js';
import { fixturePath } from '../support/fixtures.js';
import { startTestHost, type TestHost, workload } from '../support/host.js';

let t: TestHost;

const GRANTS = [
  { namespace: 'wasi', package: 'keyvalue', interfaces: ['store', 'atomics', 'batch'] },
  { namespace: 'wasi', package: 'blobstore', interfaces: ['blobstore'] },
  { namespace: 'wasi', package: 'config', interfaces: ['store'] },
  { namespace: 'wasi', package: 'logging', interfaces: ['logging'] },
  { namespace: 'wasmcloud', package: 'messaging', interfaces: ['consumer', 'handler'] },
];

beforeAll(async () => {
  const sink = await fixturePath('kitchen-sink');
  const hello = await fixturePath('hello-js');
  t = await startTestHost({ plugins: memoryPlugins(), router: new VirtualHostRouter() });
  const http = (host: string) => ({ namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], config: { host } });
  await t.host.workloadStart(
    workload(
      'runaway',
      [{ name: 'sink', image: `file://${sink}`, limits: { timeoutMs: 1500, memory: '48Mi', maxConcurrency: 4 } }],
      [...GRANTS, http('runaway.test')],
    ),
  );
  await t.host.workloadStart(workload('bystander', [{ name: 'web', image: `file://${hello}` }], [http('bystander.test')]));
});
afterAll(async () => {
  await t?.stop();
});

const get = (host: string, path: string) => t.request(path, { host });

describe('failure isolation', () => {
  it('fails a trapping request with 500 and serves the next one from a fresh instance', async () => {
    const trap = await get('runaway.test', '/trap');
    expect(trap.status).toBe(500);
    expect(trap.text).toBe('internal server error\n');
    expect(t.logs.some((l) => l.msg === 'request failed' && String(l.err).includes('trap'))).toBe(true);
    expect(await get('runaway.test', '/hello')).toEqual({ status: 200, text: 'hello from skiff' });
  });

  it('stops a guest stuck in a loop after its timeout while others keep serving', async () => {
    const loop = get('runaway.test', '/loop');
    // While the loop runs, the other workload and the host answer.
    const other = await get('bystander.test', '/');
    expect(other).toEqual({ status: 200, text: 'hello from skiff' });
    const res = await loop;
    expect(res.status).toBe(504);
    expect(res.text).toBe('gateway timeout\n');
    expect(t.logs.some((l) => String(l.err).includes('ran longer than 1500 ms and was stopped'))).toBe(true);
    expect(await get('runaway.test', '/hello')).toEqual({ status: 200, text: 'hello from skiff' });
    const metrics = await (await fetch(`${t.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/skiff_instance_events_total\{workload="default\/runaway",event="timeout"\} 1\n/);
    expect(metrics).toMatch(/skiff_instance_events_total\{workload="default\/runaway",event="restart"\} 1\n/);
  });

  it("never fails another workload's request in flight when a guest times out", async () => {
    const sink = await fixturePath('kitchen-sink');
    await t.host.workloadStart(
      workload(
        'patient',
        [{ name: 'sink', image: `file://${sink}` }],
        [...GRANTS, { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], config: { host: 'patient.test' } }],
      ),
    );
    // The patient request is still running when the runaway one is stopped at 1.5 s.
    const patient = get('patient.test', '/sleep?ms=3000');
    const loop = await get('runaway.test', '/loop');
    expect(loop.status).toBe(504);
    expect((await patient).status).toBe(200);
    await t.host.workloadStop('default/patient');
  });

  it('stops a guest growing past its memory limit and keeps serving', async () => {
    expect(JSON.parse((await get('runaway.test', '/grow?mb=8')).text)).toEqual({ allocatedMb: 8 });
    const grow = await get('runaway.test', '/grow');
    expect(grow.status).toBe(500);
    expect(await get('runaway.test', '/hello')).toEqual({ status: 200, text: 'hello from skiff' });
    expect(await get('bystander.test', '/')).toEqual({ status: 200, text: 'hello from skiff' });
  });

  it('answers 404 for a host no workload serves', async () => {
    expect((await get('nobody.test', '/')).status).toBe(404);
  });
});

describe('timeouts and volumes', () => {
  it('counts the timeout from when an instance takes the request, not while it queues', async () => {
    const sink = await fixturePath('kitchen-sink');
    await t.host.workloadStart(
      workload(
        'queued',
        [{ name: 'sink', image: `file://${sink}`, limits: { timeoutMs: 1500, maxConcurrency: 1 } }],
        [...GRANTS, { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], config: { host: 'queued.test' } }],
      ),
    );
    // Three requests of 800 ms each through one instance: the last waits ~1.6 s in the queue,
    // longer than the 1.5 s timeout, yet each runs well within it.
    const results = await Promise.all([1, 2, 3].map(() => get('queued.test', '/sleep?ms=800')));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    await t.host.workloadStop('default/queued');
  });

  it('refuses hostPath volumes unless the host allows their root', async () => {
    const hello = await fixturePath('hello-js');
    const w = workload(
      'hostpath',
      [{ name: 'web', image: `file://${hello}`, volumeMounts: [{ name: 'etc', mountPath: '/etc' }] }],
      [{ namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'] }],
      { volumes: [{ name: 'etc', hostPath: { path: '/etc' } }] },
    );
    await expect(t.host.workloadStart(w)).rejects.toThrow(/volume "etc": hostPath volumes are not allowed on this host/);
    expect(t.host.workloadStatus('default/hostpath').reason).toBe('VolumeFailed');
  });
});
