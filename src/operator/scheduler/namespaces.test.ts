import { describe, expect, it } from 'vitest';
import type { Heartbeat } from '../../api/index.js';
import { candidateFromHeartbeat } from './index.js';
import { type Case, check, host, wl } from './testing.js';

const team = new Set(['team']);
const others = new Set(['shop', 'billing']);

const cases: Case[] = [
  {
    name: 'a host serving the workload namespace (or every namespace) takes it',
    workload: wl({ replicas: 2 }),
    hosts: [host('a', { namespaces: team }), host('b', { namespaces: others }), host('c')],
    hostsOut: ['a', 'c'],
  },
  {
    name: 'a placed replica moves off a host that no longer serves its namespace',
    workload: wl(),
    hosts: [host('a', { namespaces: others }), host('b', { namespaces: team, workloads: 5 })],
    current: ['a'],
    hostsOut: ['b'],
  },
  {
    name: 'no host serves the namespace: the reason says so',
    workload: wl(),
    hosts: [host('a', { namespaces: others })],
    hostsOut: [],
    reason:
      'NoMatchingHosts: no host serves namespace team (hosts of a HostConfig serve its namespace and those its spec.namespaces lists)',
  },
  {
    name: 'hosts of other namespaces are not counted among the matching ones',
    workload: wl(),
    hosts: [host('a', { namespaces: others }), host('b', { namespaces: team, workloads: 10, maxWorkloads: 10 })],
    hostsOut: [],
    reason: 'InsufficientCapacity: 0 of 1 matching hosts have room (1 full)',
  },
];

describe('schedule: namespaces a host serves', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => check(c));

  it('reads them from the heartbeat; a heartbeat without them serves every namespace', () => {
    const hb = {
      hostId: 'a',
      labels: {},
      capacity: { maxWorkloads: 1, workloads: 0, cpus: 1, memoryBytes: 1, freeMemoryBytes: 1 },
      interfaces: [],
      workloads: [],
      cordoned: false,
    } as unknown as Heartbeat;
    expect(candidateFromHeartbeat({ ...hb, namespaces: ['team'] }).namespaces).toEqual(team);
    expect(candidateFromHeartbeat(hb).namespaces).toBeUndefined();
  });
});
