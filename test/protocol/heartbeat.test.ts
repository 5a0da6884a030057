/**
 * Heartbeats: what a host announces, how often, and when a consumer considers it gone
 * (K missed heartbeats, or at once when it says it stops).
 */
import type { Heartbeat } from '../../src/api/index.js';
import { heartbeatSchema } from '../../src/api/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '../../src/nats/codec.js';
import { HostTracker } from '../../src/nats/hosts.js';
import { heartbeatSubject } from '../../src/nats/subjects.js';
import { memoryPlugins } from '../../src/runtime/plugins/index.js';
import { useNats } from '../support/nats.js';
import { type ControlledTestHost, helloWorkload, startControlledHost, waitFor } from './helpers.js';

const nats = useNats();

describe('heartbeat contents and cadence', () => {
  let h: ControlledTestHost;
  beforeAll(async () => {
    h = await startControlledHost(nats().url, {
      id: 'beat-1',
      plugins: memoryPlugins(),
      heartbeatSeconds: 0.2,
      labels: { zone: 'a', tier: 'gold' },
      podName: 'skiff-host-0',
      maxWorkloads: 7,
      extraInterfaces: ['wasi:http/incoming-handler'],
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('announces identity, labels, capacity, interfaces and workloads with their state, every interval', async () => {
    await h.client.start('beat-1', await helloWorkload('beating'));
    const seen: Heartbeat[] = [];
    const sub = h.clientNc.subscribe(heartbeatSubject('beat-1'), {
      callback: (_e, m) => {
        seen.push(decode(heartbeatSchema, m.data, 'heartbeat'));
      },
    });
    await waitFor('3 heartbeats', () => seen.length >= 3, 5_000);
    sub.unsubscribe();
    const hb = seen.at(-1)!;
    expect(hb).toMatchObject({
      protocol: 1,
      hostId: 'beat-1',
      podName: 'skiff-host-0',
      labels: { zone: 'a', tier: 'gold' },
      intervalSeconds: 0.2,
      capacity: { maxWorkloads: 7, workloads: 1, cpus: expect.any(Number) },
    });
    expect(hb.capacity.memoryBytes).toBeGreaterThan(0);
    expect(hb.interfaces).toEqual(
      expect.arrayContaining(['wasi:keyvalue/store', 'wasi:blobstore/blobstore', 'wasi:http/incoming-handler']),
    );
    expect(hb.workloads).toEqual([
      expect.objectContaining({ id: 'default/beating', uid: 'uid-beating', generation: 1, state: 'Running' }),
    ]);
    // Cadence: consecutive heartbeats are about one interval apart, not bunched.
    const gaps = seen.slice(1).map((b, i) => Date.parse(b.sentAt) - Date.parse(seen[i]!.sentAt));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(150);
  });

  it('answers a ping with the current heartbeat at once', async () => {
    const hosts = await h.client.ping(500);
    expect(hosts.map((x) => x.hostId)).toContain('beat-1');
  });
});

describe('expiry', () => {
  it('a tracker forgets a host after K missed heartbeats (injected clock)', () => {
    let now = 1_000_000;
    const tracker = new HostTracker({ missedHeartbeats: 3, now: () => now });
    const hb = { hostId: 'h1', intervalSeconds: 5, stopping: undefined } as unknown as Heartbeat;
    expect(tracker.observe(hb)).toEqual({ type: 'joined', hostId: 'h1' });
    now += 14_999;
    expect(tracker.alive().map((e) => e.heartbeat.hostId)).toEqual(['h1']);
    expect(tracker.observe(hb)).toEqual({ type: 'updated', hostId: 'h1' });
    now += 14_999;
    expect(tracker.expire()).toEqual([]);
    now += 1;
    expect(tracker.expire()).toEqual([{ type: 'expired', hostId: 'h1' }]);
    expect(tracker.alive()).toEqual([]);
  });

  it('a live host that vanishes without a goodbye expires after K intervals; a clean stop leaves at once', async () => {
    const tracker = new HostTracker({ missedHeartbeats: 3 });
    const gone = await startControlledHost(nats().url, { id: 'vanishing', heartbeatSeconds: 0.2 });
    const leaving = await startControlledHost(nats().url, { id: 'leaving', heartbeatSeconds: 0.2 });
    const watcher = await startControlledHost(nats().url, { id: 'watcher', heartbeatSeconds: 60 });
    const changes: string[] = [];
    const sub = watcher.client.watchHeartbeats(tracker, (c) => changes.push(`${c.type} ${c.hostId}`));
    try {
      await waitFor('both hosts seen', () => tracker.get('vanishing') && tracker.get('leaving'), 5_000);
      // Cut the connection: no more heartbeats and no "stopping" message.
      await gone.hostNc.close();
      const cut = Date.now();
      await waitFor('vanishing to expire', () => tracker.get('vanishing') === undefined, 5_000);
      expect(Date.now() - cut).toBeGreaterThanOrEqual(300);
      expect(tracker.get('leaving')).toBeDefined();

      await leaving.control.stop();
      await waitFor('leaving to say goodbye', () => changes.includes('left leaving'), 5_000);
      expect(tracker.get('leaving')).toBeUndefined();
    } finally {
      sub.unsubscribe();
      await gone.control.stop();
      await gone.t.stop();
      await gone.clientNc.close();
      await leaving.stop();
      await watcher.stop();
    }
  });
});
