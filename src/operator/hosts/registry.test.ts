import { describe, expect, it } from 'vitest';
import { type Heartbeat, PROTOCOL_VERSION } from '../../api/index.js';
import { HostRegistry } from './registry.js';

function heartbeat(hostId: string, workloads: Heartbeat['workloads'] = [], extra: Partial<Heartbeat> = {}): Heartbeat {
  return {
    protocol: PROTOCOL_VERSION,
    hostId,
    labels: {},
    capacity: { maxWorkloads: 10, workloads: workloads.length, cpus: 2, memoryBytes: 1, freeMemoryBytes: 1 },
    interfaces: [],
    workloads,
    intervalSeconds: 1,
    startedAt: '2026-11-28T00:00:00Z',
    sentAt: '2026-11-28T00:00:00Z',
    ...extra,
  } as Heartbeat;
}

const report = (id: string, state: 'Running' | 'Failed' = 'Running') => ({
  id,
  uid: 'u1',
  generation: 1,
  state,
  components: [],
});

describe('HostRegistry', () => {
  it('expires a host after K missed intervals, and at once when it says it stops', () => {
    let now = 0;
    const r = new HostRegistry({ now: () => now });
    r.connected();
    expect(r.observeHeartbeat(heartbeat('a', [report('ns/w')])).type).toBe('joined');
    r.observeHeartbeat(heartbeat('b'));
    now = 2_999;
    expect(r.expire()).toEqual([]);
    r.observeHeartbeat(heartbeat('b'));
    now = 3_000;
    expect(r.expire()).toEqual([{ type: 'expired', hostId: 'a', workloads: ['ns/w'] }]);
    expect(r.hosts().map((h) => h.heartbeat.hostId)).toEqual(['b']);
    expect(r.observeHeartbeat(heartbeat('b', [], { stopping: true })).type).toBe('left');
    expect(r.hosts()).toEqual([]);
  });

  it('names a workload whose service changed state or restarted', () => {
    const r = new HostRegistry({ now: () => 0 });
    r.connected();
    const svc = (state: 'Running' | 'Restarting', restarts: number) => ({
      ...report('ns/w'),
      service: { name: 's', state, restarts },
    });
    r.observeHeartbeat(heartbeat('a', [svc('Running', 0)]));
    expect(r.observeHeartbeat(heartbeat('a', [svc('Running', 0)])).workloads).toEqual([]);
    expect(r.observeHeartbeat(heartbeat('a', [svc('Restarting', 1)])).workloads).toEqual(['ns/w']);
    expect(r.observeHeartbeat(heartbeat('a', [svc('Running', 1)])).workloads).toEqual(['ns/w']);
  });

  it('never expires a host while NATS is down, nor within one window after it is back', () => {
    let now = 0;
    const r = new HostRegistry({ now: () => now });
    r.connected();
    r.observeHeartbeat(heartbeat('a'));
    r.disconnected();
    now = 60_000;
    expect(r.expire()).toEqual([]);
    expect(r.healthy()).toBe(false);
    r.connected();
    now = 62_999;
    expect(r.expire()).toEqual([]);
    expect(r.healthy()).toBe(false);
    now = 63_000;
    expect(r.healthy()).toBe(true);
    expect(r.expire().map((c) => c.hostId)).toEqual(['a']);
  });

  it('is warm only after 1.5 heartbeat intervals of the slowest host since the connection came up', () => {
    let now = 0;
    const r = new HostRegistry({ now: () => now });
    expect(r.warmInMs()).toBeUndefined();
    r.connected();
    r.observeHeartbeat(heartbeat('slow', [], { intervalSeconds: 4 }));
    expect(r.warmInMs()).toBe(6_000);
    now = 6_000;
    expect(r.warmInMs()).toBe(0);
    r.disconnected();
    expect(r.warmInMs()).toBeUndefined();
    r.connected();
    expect(r.warmInMs()).toBe(6_000);
  });

  it('reports which workloads changed, and lets replies overlay the last heartbeat', () => {
    const r = new HostRegistry({ now: () => 0 });
    r.connected();
    r.observeHeartbeat(heartbeat('a', [report('ns/x'), report('ns/y')]));
    const change = r.observeHeartbeat(heartbeat('a', [report('ns/x', 'Failed'), report('ns/z')]));
    expect([...change.workloads].sort()).toEqual(['ns/x', 'ns/y', 'ns/z']);
    r.observeReport('a', { ...report('ns/x'), generation: 2 });
    expect(r.reportsFor('ns/x')).toEqual([{ hostId: 'a', report: { ...report('ns/x'), generation: 2 } }]);
    r.observeGone('a', 'ns/x');
    expect(r.reportsFor('ns/x')).toEqual([]);
    expect(r.workloadIds()).toEqual(['ns/z']);
  });
});
