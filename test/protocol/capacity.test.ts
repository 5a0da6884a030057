/**
 * Capacity counts what a host runs: workloads that failed to start (a typo in an image)
 * do not fill it, neither when a start is admitted nor in the heartbeat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, workload } from '../support/host.js';
import { useNats } from '../support/nats.js';
import { type ControlledTestHost, helloWorkload, startControlledHost } from './helpers.js';

const nats = useNats();
let h: ControlledTestHost;
beforeAll(async () => {
  h = await startControlledHost(nats().url, { id: 'capacity-1', maxWorkloads: 2 });
});
afterAll(async () => {
  await h?.stop();
});

describe('host capacity', () => {
  it('does not count failed workloads toward maxWorkloads', async () => {
    const broken = `file://${await fixturePath('broken-not-wasm')}`;
    for (const name of ['typo-1', 'typo-2']) {
      await expect(
        h.client.start('capacity-1', workload(name, [{ name: 'web', image: broken }], [HTTP_GRANT])),
      ).rejects.toMatchObject({ code: 'SKIFF_INVALID_COMPONENT' });
    }
    expect(h.t.host.list().map((s) => s.state)).toEqual(['Failed', 'Failed']);
    expect(h.control.heartbeat().capacity.workloads).toBe(0);

    await expect(h.client.start('capacity-1', await helloWorkload('one'))).resolves.toMatchObject({ state: 'Running' });
    await expect(h.client.start('capacity-1', await helloWorkload('two'))).resolves.toMatchObject({ state: 'Running' });
    expect(h.control.heartbeat().capacity.workloads).toBe(2);
    await expect(h.client.start('capacity-1', await helloWorkload('three'))).rejects.toMatchObject({
      code: 'SKIFF_HOST_FULL',
    });
  });
});
