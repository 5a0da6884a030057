/**
 * Heartbeats: what a host announces, how often, and when a consumer considers it gone
 * (K missed heartbeats, or at once when it says it stops).
 */
import type { Heartbeat } from '../../src/api/index.js';
import { heartbeatSchema } from '../../src/api/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/nats/codec.js';
import { HostTracker } from '../../src/nats/hosts.js';
import { ControlClient } from '../../src/nats/client.js';
import { connectNats } from '../../src/nats/connection.js';
import { heartbeatSubject, workloadSubject } from '../../src/nats/subjects.js';
import { memoryPlugins } from '../../src/runtime/plugins/index.js';
import { useNats } from '../support/nats.js';
import { HTTP_INTERFACE } from '../../src/cli/host.js';
import { HTTP_GRANT } from '../support/host.js';
import { waitFor } from '../support/wait.js';
import { type ControlledTestHost, helloWorkload, startControlledHost } from './helpers.js';

const nats = useNats();

describe('heartbeat contents and cadence', () => {
  let h: ControlledTestHost;
  beforeAll(async () => {
    h = await startControlledHost(nats().url, {
      id: 'beat-1',
      plugins: memoryPlugins(),
      heartbeatSeconds: 0.2,
      labels: { zone: 'a', tier: 'gold' },
      pod: { namespace: 'skiff', name: 'skiff-host-0', uid: '7f1c2d3e-0000-4000-8000-000000000001', ip: '10.1.2.3' },
      httpPort: 8080,
      maxWorkloads: 7,
      extraInterfaces: [HTTP_INTERFACE],
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('announces identity, labels, capacity, interfaces and workloads with their state, every interval', async () => {
    const w = await helloWorkload('beating');
    w.spec.hostInterfaces = [{ ...HTTP_GRANT, config: { host: 'Beating.Example' } }];
    await h.client.start('beat-1', w);
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
      pod: { namespace: 'skiff', name: 'skiff-host-0', uid: '7f1c2d3e-0000-4000-8000-000000000001', ip: '10.1.2.3' },
      httpPort: 8080,
      cordoned: false,
      labels: { zone: 'a', tier: 'gold' },
      intervalSeconds: 0.2,
      capacity: { maxWorkloads: 7, workloads: 1, cpus: expect.any(Number) },
    });
    expect(hb.capacity.memoryBytes).toBeGreaterThan(0);
    // Every plugin interface unversioned (for older consumers) and at the version of wit/deps it implements.
    expect(hb.interfaces).toEqual(
      expect.arrayContaining([
        'wasi:keyvalue/store',
        'wasi:keyvalue/store@0.2.0-draft',
        'wasi:keyvalue/atomics@0.2.0-draft',
        'wasi:blobstore/blobstore',
        'wasi:blobstore/blobstore@0.2.0-draft',
        'wasi:config/store@0.2.0-rc.1',
        'wasi:logging/logging@0.1.0-draft',
        'wasmcloud:messaging/consumer@0.2.0',
        'wasmcloud:messaging/handler@0.2.0',
        'wasi:http/incoming-handler',
        'wasi:http/incoming-handler@0.2.0',
      ]),
    );
    expect(hb.interfaces.filter((i) => i.includes('@') && !i.startsWith('wasi:http/'))).toHaveLength(
      hb.interfaces.filter((i) => !i.includes('@') && !i.startsWith('wasi:http/')).length,
    );
    expect(hb.workloads).toEqual([
      expect.objectContaining({
        id: 'default/beating',
        uid: 'uid-beating',
        generation: 1,
        state: 'Running',
        hosts: ['beating.example'],
      }),
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

describe('version skew: consumers ignore what they do not know', () => {
  const base = {
    protocol: 1,
    labels: {},
    capacity: { maxWorkloads: 5, workloads: 1, cpus: 1, memoryBytes: 1, freeMemoryBytes: 1 },
    interfaces: ['wasi:keyvalue/store'],
    intervalSeconds: 60,
    startedAt: '2026-11-28T00:00:00.000Z',
    sentAt: '2026-11-28T00:00:00.000Z',
  };
  const report = { id: 'default/w', uid: 'u', generation: 1, state: 'Running', components: [] };

  it('a newer host’s heartbeat with unknown fields, and an older one without the new fields, are both tracked', async () => {
    const watcher = await startControlledHost(nats().url, { id: 'skew-watcher', heartbeatSeconds: 60 });
    const tracker = new HostTracker();
    const sub = watcher.client.watchHeartbeats(tracker);
    try {
      await watcher.clientNc.flush();
      const newer = { ...base, hostId: 'newer', gpus: 2, workloads: [{ ...report, priority: 'high' }] };
      const older = { ...base, hostId: 'older', workloads: [report] };
      const alien = { ...base, hostId: 'alien', protocol: 2, workloads: [] };
      for (const hb of [newer, older, alien]) watcher.hostNc.publish(heartbeatSubject(hb.hostId), encode(hb));
      await waitFor('both heartbeats', () => tracker.get('newer') && tracker.get('older'), 5_000);
      expect(tracker.get('newer')!.heartbeat).not.toHaveProperty('gpus');
      expect(tracker.get('newer')!.heartbeat.workloads[0]).not.toHaveProperty('priority');
      expect(tracker.get('older')!.heartbeat).toMatchObject({ cordoned: false, workloads: [report] });
      expect(tracker.get('older')!.heartbeat.workloads[0]!.hosts).toBeUndefined();
      // An incompatible protocol is dropped, never half-understood.
      expect(tracker.get('alien')).toBeUndefined();
    } finally {
      sub.unsubscribe();
      await watcher.stop();
    }
  });

  it('replies with unknown fields are understood', async () => {
    const nc = await connectNats({ servers: [nats().url] });
    const sub = nc.subscribe(workloadSubject('newer-host', 'status'), {
      callback: (_e, m) => {
        m.respond(encode({ ok: true, hostId: 'newer-host', workloads: [report], took: 3 }));
      },
    });
    await nc.flush();
    try {
      const client = new ControlClient(nc);
      expect(await client.status('newer-host')).toEqual([report]);
    } finally {
      sub.unsubscribe();
      await nc.close();
    }
  });
});
