/**
 * `spec.service`: a command-style component (the service-js fixture) started with its
 * workload on a thread reserved out of the pool, its output in the workload's log,
 * restarted with a capped, doubling backoff when it exits or traps, given up on after
 * `maxRestarts`, stopped with its workload — and a failing service fails nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workload } from '../../src/api/index.js';
import { VirtualHostRouter } from '../../src/runtime/http/routers.js';
import { fixturePath } from '../support/fixtures.js';
import { startTestHost, type TestHost, workload } from '../support/host.js';
import { waitFor } from '../support/wait.js';

let t: TestHost;
let service: string;
let serviceC: string;
let hello: string;

beforeAll(async () => {
  service = `file://${await fixturePath('service-js')}`;
  serviceC = `file://${await fixturePath('service-c')}`;
  hello = `file://${await fixturePath('hello-js')}`;
  // maxThreads 4: services may hold two of them.
  t = await startTestHost({
    router: new VirtualHostRouter(),
    threads: { maxThreads: 4, serviceBackoffMs: 50, serviceMaxBackoffMs: 80 },
  });
});
afterAll(async () => {
  await t?.stop();
});

function withService(
  name: string,
  env: Record<string, string>,
  maxRestarts: number,
  options: { host?: string; memory?: string; image?: string } = {},
): Workload {
  const { host, memory, image = service } = options;
  const components = host ? [{ name: 'web', image: hello }] : [];
  const grants = host
    ? [{ namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], config: { host } }]
    : [];
  const limits = memory ? { limits: { memory } } : {};
  return workload(name, components, grants, {
    service: { name: 'svc', image, environment: env, maxRestarts, ...limits },
  });
}

const linesOf = (workloadId: string, stream: 'stdout' | 'stderr', text: string) =>
  t.logs.filter((l) => l.workload === workloadId && l.stream === stream && l.msg === text).length;

const serviceOf = (id: string) => t.host.workloadStatus(id).service;

describe('spec.service', () => {
  it('restarts a service that exits, with a doubling backoff capped at the maximum, and gives up after maxRestarts', async () => {
    await t.host.workloadStart(withService('exits', { SERVICE_MODE: 'exit', SERVICE_EXIT_CODE: '1' }, 3));
    const failed = await waitFor(
      'the service to give up',
      () => serviceOf('default/exits')?.state === 'Failed' && serviceOf('default/exits'),
    );
    expect(failed).toMatchObject({ name: 'svc', state: 'Failed', restarts: 3, reason: 'ServiceExited' });
    expect(failed.message).toContain('exited with code 1');
    // The first run and three restarts, each with its stdout and stderr in the workload's log.
    expect(linesOf('default/exits', 'stdout', 'service-js started exit')).toBe(4);
    expect(linesOf('default/exits', 'stderr', 'service-js stderr')).toBe(4);
    const delays = t.logs
      .filter((l) => l.workload === 'default/exits' && l.delayMs !== undefined)
      .map((l) => l.delayMs);
    expect(delays).toEqual([50, 80, 80]);
    // The workload itself keeps running; the service gave its thread back.
    expect(t.host.workloadStatus('default/exits').state).toBe('Running');
    expect(t.host.threads().services).toBe(0);
    const metrics = await t.host.metrics.registry.getSingleMetricAsString('skiff_instance_events_total');
    expect(metrics).toContain('skiff_instance_events_total{workload="default/exits",event="service-restart"} 3');
    expect(metrics).toContain('skiff_instance_events_total{workload="default/exits",event="service-failed"} 1');
    await t.host.workloadStop('default/exits');
  });

  it('a trapping service fails alone: the workload and its HTTP component keep serving', async () => {
    await t.host.workloadStart(
      withService('traps', { SERVICE_MODE: 'trap' }, 1, { host: 'traps.test', image: serviceC }),
    );
    const failed = await waitFor(
      'the service to fail',
      () => serviceOf('default/traps')?.state === 'Failed' && serviceOf('default/traps'),
    );
    expect(failed).toMatchObject({ state: 'Failed', restarts: 1, reason: 'ServiceTrapped' });
    expect(failed.message).toContain('`unreachable` instruction executed');
    expect(linesOf('default/traps', 'stdout', 'service-c started trap')).toBe(2);
    expect(t.host.workloadStatus('default/traps').state).toBe('Running');
    expect(await t.request('/', { host: 'traps.test' })).toEqual({ status: 200, text: 'hello from skiff' });
    await t.host.workloadStop('default/traps');
  });

  it('starts the restart count over after a run that lasted serviceResetAfterMs', async () => {
    // Each run lasts 400 ms, longer than the reset time (300 ms): one restart allowed, never used up.
    const h = await startTestHost({ threads: { serviceBackoffMs: 50, serviceResetAfterMs: 300 } });
    try {
      await h.host.workloadStart(withService('healthy', { SERVICE_MODE: 'exit', SERVICE_DELAY_MS: '400' }, 1));
      const state = await waitFor('three restarts', () => {
        const s = h.host.workloadStatus('default/healthy').service;
        return s !== undefined && (s.restarts >= 3 || s.state === 'Failed') && s;
      });
      expect(state.state).not.toBe('Failed');
      expect(state.restarts).toBeGreaterThanOrEqual(3);
    } finally {
      await h.stop();
    }
  });

  it('counts a run that returns its error as an exit', async () => {
    await t.host.workloadStart(withService('fails', { SERVICE_MODE: 'fail' }, 0));
    const failed = await waitFor(
      'the service to fail',
      () => serviceOf('default/fails')?.state === 'Failed' && serviceOf('default/fails'),
    );
    expect(failed).toMatchObject({ state: 'Failed', restarts: 0, reason: 'ServiceExited' });
    expect(failed.message).toContain('wasi:cli/run returned an error');
    await t.host.workloadStop('default/fails');
  });

  it('runs a long-running service on a reserved thread until its workload stops, which kills it', async () => {
    await t.host.workloadStart(withService('sleeps', { SERVICE_MODE: 'sleep' }, 3));
    await waitFor('the service output', () => linesOf('default/sleeps', 'stdout', 'service-js started sleep') === 1);
    expect(serviceOf('default/sleeps')).toMatchObject({ state: 'Running', restarts: 0 });
    expect(t.host.threads().services).toBe(1);
    await t.host.workloadStop('default/sleeps');
    expect(t.host.threads().services).toBe(0);
    expect(t.logs.some((l) => l.workload === 'default/sleeps' && l.delayMs !== undefined)).toBe(false);
  });

  it('refuses a service beyond the threads services may hold, and a component without wasi:cli/run', async () => {
    await t.host.workloadStart(withService('one', { SERVICE_MODE: 'sleep' }, 0));
    await t.host.workloadStart(withService('two', { SERVICE_MODE: 'sleep' }, 0));
    await expect(t.host.workloadStart(withService('three', { SERVICE_MODE: 'sleep' }, 0))).rejects.toMatchObject({
      code: 'SKIFF_SERVICE_CAPACITY',
    });
    expect(t.host.threads().services).toBe(2);
    await t.host.workloadStop('default/one');
    await t.host.workloadStop('default/two');
    const notCommand = workload('not-command', [], [], { service: { name: 'svc', image: hello } });
    await expect(t.host.workloadStart(notCommand)).rejects.toMatchObject({ code: 'SKIFF_NO_RUN_EXPORT' });
    expect(t.host.threads().services).toBe(0);
  });
});
