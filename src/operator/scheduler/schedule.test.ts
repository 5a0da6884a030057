import { describe, expect, it } from 'vitest';
import type { Heartbeat } from '../../api/index.js';
import { candidateFromHeartbeat, schedule } from './index.js';
import { type Case, check, DIGEST, HTTP, host, httpOn, KV, wl, ZONE } from './testing.js';

const cases: Case[] = [
  // Stickiness.
  {
    name: 'a placed replica stays although another host is emptier',
    workload: wl(),
    hosts: [host('a'), host('b', { workloads: 7 })],
    current: ['b'],
    hostsOut: ['b'],
  },
  {
    name: 'a placed replica moves when its host no longer matches the selector',
    workload: wl({ hostSelector: { zone: 'eu' } }),
    hosts: [host('a', { labels: { zone: 'eu' } }), host('b', { labels: { zone: 'us' } })],
    current: ['b'],
    hostsOut: ['a'],
  },
  {
    name: 'a placed replica moves when its host is gone',
    workload: wl(),
    hosts: [host('a')],
    current: ['gone'],
    hostsOut: ['a'],
  },
  {
    name: 'scale up keeps the current replica and adds the emptiest host',
    workload: wl({ replicas: 2 }),
    hosts: [host('a', { workloads: 4 }), host('b', { workloads: 2 }), host('c', { workloads: 6 })],
    current: ['c'],
    hostsOut: ['c', 'b'],
  },
  {
    name: 'scale down keeps the least loaded of the current hosts',
    workload: wl({ replicas: 2 }),
    hosts: [host('a', { workloads: 5 }), host('b', { workloads: 2 }), host('c', { workloads: 3 })],
    current: ['a', 'b', 'c'],
    hostsOut: ['b', 'c'],
  },
  // Ranking.
  {
    name: 'fewest workloads first, starts in flight included',
    workload: wl(),
    hosts: [host('a', { workloads: 1, inFlight: 2 }), host('b', { workloads: 2 }), host('c', { workloads: 4 })],
    hostsOut: ['b'],
  },
  {
    name: 'replicas spread over zones before filling the emptiest hosts',
    workload: wl({ replicas: 2 }),
    hosts: [
      host('a1', { labels: { [ZONE]: 'a' } }),
      host('a2', { labels: { [ZONE]: 'a' } }),
      host('b1', { labels: { [ZONE]: 'b' }, workloads: 5 }),
    ],
    hostsOut: ['a1', 'b1'],
  },
  {
    name: 'spread counts the replicas kept in place',
    workload: wl({ replicas: 2 }),
    hosts: [
      host('a1', { labels: { [ZONE]: 'a' }, workloads: 3, running: new Set(['team/web']) }),
      host('a2', { labels: { [ZONE]: 'a' } }),
      host('b1', { labels: { [ZONE]: 'b' }, workloads: 5 }),
    ],
    current: ['a1'],
    hostsOut: ['a1', 'b1'],
  },
  {
    name: 'a custom topology key',
    workload: wl({ replicas: 2 }),
    hosts: [
      host('a', { labels: { rack: '1' } }),
      host('b', { labels: { rack: '1' } }),
      host('c', { labels: { rack: '2' }, workloads: 9 }),
    ],
    topologyKey: 'rack',
    hostsOut: ['a', 'c'],
  },
  {
    name: 'without the topology label on any host, load decides',
    workload: wl({ replicas: 2 }),
    hosts: [
      host('a', { labels: { rack: '1' } }),
      host('b', { labels: { rack: '1' } }),
      host('c', { labels: { rack: '2' }, workloads: 9 }),
    ],
    hostsOut: ['a', 'b'],
  },
  {
    name: 'on equal load, a host holding the pinned digest wins',
    workload: wl({ components: [{ name: 'c', image: 'ghcr.io/x/y:1', digest: DIGEST }] }),
    hosts: [host('a'), host('b', { digests: new Set([DIGEST]) })],
    hostsOut: ['b'],
  },
  {
    name: 'load still comes before the digest',
    workload: wl({ components: [{ name: 'c', image: 'ghcr.io/x/y:1', digest: DIGEST }] }),
    hosts: [host('a'), host('b', { workloads: 1, digests: new Set([DIGEST]) })],
    hostsOut: ['a'],
  },
  {
    name: 'ties go to the smallest host id, whatever the input order',
    workload: wl({ replicas: 2 }),
    hosts: [host('c'), host('a'), host('b')],
    hostsOut: ['a', 'b'],
  },
  // Avoid: a last resort.
  {
    name: 'a host that refused is avoided when another fits',
    workload: wl(),
    hosts: [host('a'), host('b', { workloads: 5 })],
    avoid: ['a'],
    hostsOut: ['b'],
  },
  {
    name: 'a host that refused loses its stickiness',
    workload: wl(),
    hosts: [host('a'), host('b', { workloads: 5 })],
    current: ['a'],
    avoid: ['a'],
    hostsOut: ['b'],
  },
  {
    name: 'a host that refused is used when nothing else fits',
    workload: wl({ replicas: 2 }),
    hosts: [host('a'), host('b', { workloads: 5 })],
    avoid: ['a'],
    hostsOut: ['b', 'a'],
  },
  {
    name: 'a refused current host must have room again to be used',
    workload: wl(),
    hosts: [host('a', { workloads: 10 })],
    current: ['a'],
    avoid: ['a'],
    hostsOut: [],
    reason: 'InsufficientCapacity: 0 of 1 matching hosts have room (1 full)',
  },
];

describe('schedule', () => {
  it.each(cases)('$name', check);

  it('is deterministic: any order of the same hosts gives the same placement', () => {
    const hosts = ['e', 'b', 'd', 'a', 'c'].map((id, i) =>
      host(id, { workloads: i % 2, labels: { [ZONE]: id < 'c' ? 'x' : 'y' } }),
    );
    const w = wl({ replicas: 3 });
    const first = schedule(w, hosts, []).hosts;
    expect(first).toEqual(['c', 'a', 'd']);
    for (let i = 0; i < hosts.length; i++) {
      const rotated = [...hosts.slice(i), ...hosts.slice(0, i)];
      expect(schedule(w, rotated, []).hosts).toEqual(first);
      expect(schedule(w, rotated.reverse(), []).hosts).toEqual(first);
    }
  });
});

describe('candidateFromHeartbeat', () => {
  const hb = {
    protocol: 1,
    hostId: 'h1',
    labels: { zone: 'a' },
    capacity: { maxWorkloads: 7, workloads: 2, cpus: 2, memoryBytes: 1, freeMemoryBytes: 1 },
    interfaces: [KV, HTTP],
    cordoned: true,
    workloads: [
      {
        id: 'team/web',
        uid: 'u1',
        generation: 1,
        state: 'Running',
        components: [{ name: 'c', digest: DIGEST }],
        hosts: ['shop.example'],
      },
      { id: 'team/old', uid: 'u2', generation: 3, state: 'Failed', components: [], hosts: ['old.example'] },
    ],
    intervalSeconds: 1,
    startedAt: '2026-11-28T00:00:00Z',
    sentAt: '2026-11-28T00:00:01Z',
  } satisfies Heartbeat;

  it('takes capacity, labels, interfaces, cordon, claims, digests and the ids it runs (not the failed) from the heartbeat', () => {
    const c = candidateFromHeartbeat(hb, 3);
    expect(c).toEqual({
      hostId: 'h1',
      labels: { zone: 'a' },
      interfaces: [KV, HTTP],
      maxWorkloads: 7,
      workloads: 2,
      inFlight: 3,
      cordoned: true,
      routes: new Set(['shop.example']),
      digests: new Set([DIGEST]),
      running: new Set(['team/web']),
    });
    expect(candidateFromHeartbeat(hb).inFlight).toBe(0);
    const services = { max: 4, running: 1 };
    expect(candidateFromHeartbeat({ ...hb, capacity: { ...hb.capacity, services } }).services).toEqual(services);
  });

  it('a heartbeat-built candidate does not conflict with its own workload’s route', () => {
    const w = wl({ hostInterfaces: [httpOn('shop.example')] });
    expect(schedule(w, [candidateFromHeartbeat(hb)], ['h1']).hosts).toEqual(['h1']);
    const other = { ...w, metadata: { ...w.metadata, name: 'other' } };
    const result = schedule(other, [candidateFromHeartbeat({ ...hb, cordoned: false })], []);
    expect(result.reason?.reason).toBe('RouteConflict');
  });
});
