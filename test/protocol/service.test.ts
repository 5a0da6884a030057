/**
 * A workload's service over the control protocol: the host's status reply (and so its
 * heartbeats, which carry the same reports) says how the service is doing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../support/fixtures.js';
import { workload } from '../support/host.js';
import { useNats } from '../support/nats.js';
import { waitFor } from '../support/wait.js';
import { type ControlledTestHost, startControlledHost } from './helpers.js';

const nats = useNats();
let h: ControlledTestHost;
beforeAll(async () => {
  h = await startControlledHost(nats().url, { id: 'service-1', heartbeatSeconds: 1 });
});
afterAll(async () => {
  await h?.stop();
});

describe('service state over NATS', () => {
  it('reports a running service, then the trap it gave up on', async () => {
    const image = `file://${await fixturePath('service-c')}`;
    // A workload has at least one component; this one serves nothing.
    const components = [{ name: 'web', image: `file://${await fixturePath('hello-js')}` }];
    const sleeps = workload('sleeps', components, [], {
      service: { name: 'svc', image, environment: { SERVICE_MODE: 'sleep' }, maxRestarts: 0 },
    });
    const started = await h.client.start('service-1', sleeps);
    expect(started.service).toEqual({ name: 'svc', state: 'Running', restarts: 0 });
    // Heartbeats announce the service threads, for the scheduler.
    const { max, running } = h.control.heartbeat().capacity.services ?? { max: -1, running: -1 };
    expect(running).toBe(1);
    expect(max).toBeGreaterThanOrEqual(1);

    const traps = workload('traps', components, [], {
      service: { name: 'svc', image, environment: { SERVICE_MODE: 'trap' }, maxRestarts: 0 },
    });
    await h.client.start('service-1', traps);
    const [report] = await waitFor('the trap in the status reply', async () => {
      const reports = await h.client.status('service-1', 'default/traps');
      return reports[0]?.service?.state === 'Failed' && reports;
    });
    expect(report).toMatchObject({ id: 'default/traps', state: 'Running' });
    expect(report?.service).toMatchObject({ name: 'svc', state: 'Failed', restarts: 0, reason: 'ServiceTrapped' });
    expect(report?.service?.message).toContain('unreachable');
  });
});
