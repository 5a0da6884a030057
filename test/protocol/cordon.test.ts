/**
 * Cordon: a cordoned host refuses workloads it does not run yet (SKIFF_HOST_CORDONED),
 * keeps serving — and updating — the ones it runs, and says so in its heartbeats at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Heartbeat, heartbeatSchema } from '../../src/api/index.js';
import { decode } from '../../src/nats/codec.js';
import { heartbeatSubject } from '../../src/nats/subjects.js';
import { useNats } from '../support/nats.js';
import { waitFor } from '../support/wait.js';
import { type ControlledTestHost, helloWorkload, startControlledHost } from './helpers.js';

const nats = useNats();
let h: ControlledTestHost;
const beats: Heartbeat[] = [];
beforeAll(async () => {
  // A long interval: the heartbeats seen here are the ones a cordon change sends at once.
  h = await startControlledHost(nats().url, { id: 'cordon-1', heartbeatSeconds: 600 });
  h.clientNc.subscribe(heartbeatSubject('cordon-1'), {
    callback: (_e, m) => {
      beats.push(decode(heartbeatSchema, m.data, 'heartbeat'));
    },
  });
  await h.clientNc.flush();
  await h.client.start('cordon-1', await helloWorkload('kept'));
});
afterAll(async () => {
  await h?.stop();
});

describe('cordon and uncordon', () => {
  it('cordon is announced at once, in heartbeats and pings', async () => {
    const before = beats.length;
    expect(await h.client.cordon('cordon-1', true)).toBe(true);
    const hb = await waitFor('a cordoned heartbeat', () => beats.slice(before).find((b) => b.cordoned), 5_000);
    expect(hb.workloads.map((w) => w.id)).toEqual(['default/kept']);
    expect((await h.client.ping(500)).find((p) => p.hostId === 'cordon-1')?.cordoned).toBe(true);
    // Cordoning twice is harmless.
    expect(await h.client.cordon('cordon-1', true)).toBe(true);
  });

  it('a cordoned host refuses a new workload and changes nothing', async () => {
    const err = await h.client.start('cordon-1', await helloWorkload('newcomer')).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'SKIFF_HOST_CORDONED',
      message: 'host cordon-1 is cordoned: it takes no new workloads',
    });
    expect(h.t.host.list().map((w) => w.id)).toEqual(['default/kept']);
  });

  it('it keeps serving what it runs and accepts a new generation of it', async () => {
    expect(await h.t.request('/')).toEqual({ status: 200, text: 'hello from skiff' });
    const report = await h.client.start('cordon-1', await helloWorkload('kept', 2));
    expect(report).toMatchObject({ id: 'default/kept', generation: 2, state: 'Running' });
    expect(await h.t.request('/')).toEqual({ status: 200, text: 'hello from skiff' });
  });

  it('uncordon takes new workloads again', async () => {
    const before = beats.length;
    expect(await h.client.cordon('cordon-1', false)).toBe(false);
    await waitFor('an uncordoned heartbeat', () => beats.slice(before).find((b) => !b.cordoned), 5_000);
    expect(h.control.cordoned).toBe(false);
    const report = await h.client.start('cordon-1', await helloWorkload('newcomer'));
    expect(report).toMatchObject({ id: 'default/newcomer', state: 'Running' });
  });

  it('a host that is not there', async () => {
    await expect(h.client.cordon('nobody', true)).rejects.toMatchObject({ code: 'SKIFF_HOST_UNREACHABLE' });
  });
});
