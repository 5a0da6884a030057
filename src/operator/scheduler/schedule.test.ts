import { describe, expect, it } from 'vitest';
import type { Heartbeat, HostInterface, Workload } from '../../api/index.js';
import { candidateFromHeartbeat, type HostCandidate, requiredInterfaces, schedule } from './index.js';

const ZONE = 'topology.kubernetes.io/zone';
const KV = 'wasi:keyvalue/store@0.2.0-draft';
const BLOB = 'wasi:blobstore/blobstore@0.2.0-draft';
const HTTP = 'wasi:http/incoming-handler@0.2.0';
const DIGEST = `sha256:${'a'.repeat(64)}`;

function host(hostId: string, over: Partial<HostCandidate> = {}): HostCandidate {
  return {
    hostId,
    labels: {},
    interfaces: [HTTP, 'wasi:http/incoming-handler', KV, 'wasi:keyvalue/store'],
    maxWorkloads: 10,
    workloads: 0,
    inFlight: 0,
    cordoned: false,
    routes: new Set(),
    digests: new Set(),
    running: new Set(),
    ...over,
  };
}

function wl(over: Partial<Workload['spec']> = {}): Workload {
  return {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name: 'web', namespace: 'team', uid: 'u1', generation: 1 },
    spec: {
      replicas: 1,
      components: [{ name: 'c', image: 'file:///c.wasm' }],
      hostInterfaces: [],
      volumes: [],
      ...over,
    },
  };
}

const grant = (
  pkg: string,
  interfaces: string[],
  version?: string,
  config?: Record<string, string>,
): HostInterface => ({
  namespace: 'wasi',
  package: pkg,
  interfaces,
  ...(version ? { version } : {}),
  ...(config ? { config } : {}),
});
const httpOn = (vhost: string) => grant('http', ['incoming-handler'], undefined, { host: vhost });

interface Case {
  name: string;
  workload: Workload;
  hosts: HostCandidate[];
  current?: string[];
  avoid?: string[];
  topologyKey?: string;
  hostsOut: string[];
  reason?: string;
}

const cases: Case[] = [
  // Filters: selector.
  {
    name: 'a selector nobody matches names the selector',
    workload: wl({ hostSelector: { zone: 'eu' } }),
    hosts: [host('a', { labels: { zone: 'us' } })],
    hostsOut: [],
    reason: 'NoMatchingHosts: no host matches hostSelector zone=eu',
  },
  {
    name: 'a selector picks the host carrying every label',
    workload: wl({ hostSelector: { zone: 'eu', tier: 'gold' } }),
    hosts: [host('a', { labels: { zone: 'eu' } }), host('b', { labels: { zone: 'eu', tier: 'gold', x: 'y' } })],
    hostsOut: ['b'],
  },
  {
    name: 'no host at all',
    workload: wl(),
    hosts: [],
    hostsOut: [],
    reason: 'NoMatchingHosts: no host is connected',
  },
  // Filters: interfaces and versions.
  {
    name: 'a versioned grant no host provides names the interface and version',
    workload: wl({ hostInterfaces: [grant('blobstore', ['blobstore'], '0.2.0-draft')] }),
    hosts: [host('a'), host('b')],
    hostsOut: [],
    reason: `NoMatchingHosts: no host has ${BLOB}`,
  },
  {
    name: 'the missing interface is named among the hosts the selector matched',
    workload: wl({ hostSelector: { zone: 'eu' }, hostInterfaces: [grant('blobstore', ['blobstore'], '0.2.0-draft')] }),
    hosts: [host('a', { labels: { zone: 'eu' } }), host('b', { interfaces: [BLOB] })],
    hostsOut: [],
    reason: `NoMatchingHosts: no host matching hostSelector zone=eu has ${BLOB}`,
  },
  {
    name: 'interfaces spread over hosts but none has all',
    workload: wl({
      hostInterfaces: [grant('blobstore', ['blobstore'], '0.2.0-draft'), grant('keyvalue', ['store'], '0.2.0-draft')],
    }),
    hosts: [host('a', { interfaces: [KV] }), host('b', { interfaces: [BLOB] })],
    hostsOut: [],
    reason: `NoMatchingHosts: no host has all of ${BLOB}, ${KV}`,
  },
  {
    name: 'an unversioned grant matches any version the host announces',
    workload: wl({ hostInterfaces: [grant('keyvalue', ['store'])] }),
    hosts: [host('a', { interfaces: [KV] })],
    hostsOut: ['a'],
  },
  {
    name: 'a versioned grant needs a host that announces a version',
    workload: wl({ hostInterfaces: [grant('keyvalue', ['store'], '0.2.0-draft')] }),
    hosts: [host('a', { interfaces: ['wasi:keyvalue/store'] })],
    hostsOut: [],
    reason: `NoMatchingHosts: no host has ${KV}`,
  },
  {
    name: 'a compatible patch version matches (0.2.3 on a 0.2.0 host)',
    workload: wl({ hostInterfaces: [grant('http', ['incoming-handler'], '0.2.3')] }),
    hosts: [host('a')],
    hostsOut: ['a'],
  },
  {
    name: 'another minor version of a 0.x package does not',
    workload: wl({ hostInterfaces: [grant('http', ['incoming-handler'], '0.3.0')] }),
    hosts: [host('a')],
    hostsOut: [],
    reason: 'NoMatchingHosts: no host has wasi:http/incoming-handler@0.3.0',
  },
  {
    name: 'another pre-release tag does not',
    workload: wl({ hostInterfaces: [grant('keyvalue', ['store'], '0.2.0-rc.1')] }),
    hosts: [host('a')],
    hostsOut: [],
    reason: 'NoMatchingHosts: no host has wasi:keyvalue/store@0.2.0-rc.1',
  },
  {
    name: 'the WASI core is never required',
    workload: wl({
      hostInterfaces: [grant('cli', ['environment']), grant('http', ['outgoing-handler'], '0.2.0')],
    }),
    hosts: [host('a', { interfaces: [] })],
    hostsOut: ['a'],
  },
  // Filters: capacity, cordon, routes.
  {
    name: 'a full host is skipped; starts in flight count',
    workload: wl(),
    hosts: [host('a', { workloads: 9, inFlight: 1 }), host('b', { workloads: 9 })],
    hostsOut: ['b'],
  },
  {
    name: 'every matching host full',
    workload: wl(),
    hosts: [host('a', { workloads: 10 }), host('b', { maxWorkloads: 0 }), host('c', { workloads: 5, inFlight: 5 })],
    hostsOut: [],
    reason: 'InsufficientCapacity: 0 of 3 matching hosts have room (3 full)',
  },
  {
    name: 'a full host that already runs the workload keeps it (a new generation takes no slot)',
    workload: wl(),
    hosts: [host('a', { workloads: 10, running: new Set(['team/web']) }), host('b')],
    current: ['a'],
    hostsOut: ['a'],
  },
  {
    name: 'a cordoned host takes no new workload',
    workload: wl(),
    hosts: [host('a', { cordoned: true }), host('b', { workloads: 5 })],
    hostsOut: ['b'],
  },
  {
    name: 'a cordoned host keeps what it runs',
    workload: wl(),
    hosts: [host('a', { cordoned: true, workloads: 5, running: new Set(['team/web']) }), host('b')],
    current: ['a'],
    hostsOut: ['a'],
  },
  {
    name: 'full and cordoned hosts are counted in the reason',
    workload: wl({ replicas: 3, hostSelector: { x: 'y' } }),
    hosts: [
      host('a', { cordoned: true, labels: { x: 'y' } }),
      host('b', { workloads: 10, labels: { x: 'y' } }),
      host('c', { labels: { x: 'y' } }),
      host('d', { labels: { x: 'y' } }),
      host('e'),
    ],
    hostsOut: ['c', 'd'],
    reason:
      'InsufficientCapacity: 2 of 4 matching hosts have room (1 full, 1 cordoned); 3 replicas need 3 hosts, one replica per host',
  },
  {
    name: 'a host where another workload serves the same virtual host is skipped',
    workload: wl({ hostInterfaces: [httpOn('Shop.example')] }),
    hosts: [host('a', { routes: new Set(['shop.example']) }), host('b', { workloads: 3 })],
    hostsOut: ['b'],
  },
  {
    name: 'only route conflicts: RouteConflict names the virtual host',
    workload: wl({ hostInterfaces: [httpOn('shop.example')] }),
    hosts: [host('a', { routes: new Set(['shop.example']) }), host('b', { routes: new Set(['shop.example', 'x']) })],
    hostsOut: [],
    reason: 'RouteConflict: 2 of 2 matching hosts already serve shop.example for another workload',
  },
  {
    name: 'its own claim on a host where it runs is no conflict',
    workload: wl({ hostInterfaces: [httpOn('shop.example')] }),
    hosts: [host('a', { workloads: 1, routes: new Set(['shop.example']), running: new Set(['team/web']) })],
    current: ['a'],
    hostsOut: ['a'],
  },
  {
    name: 'route conflicts beside full hosts are InsufficientCapacity with both counted',
    workload: wl({ hostInterfaces: [httpOn('shop.example')] }),
    hosts: [host('a', { routes: new Set(['shop.example']) }), host('b', { workloads: 10 })],
    hostsOut: [],
    reason: 'InsufficientCapacity: 0 of 2 matching hosts have room (1 full, 1 with shop.example taken)',
  },
  // One replica per host.
  {
    name: 'more replicas than hosts: one per host, the rest unplaced',
    workload: wl({ replicas: 3 }),
    hosts: [host('a'), host('b')],
    hostsOut: ['a', 'b'],
    reason: 'InsufficientCapacity: 2 of 2 matching hosts have room; 3 replicas need 3 hosts, one replica per host',
  },
  {
    name: 'duplicate candidates count once',
    workload: wl({ replicas: 2 }),
    hosts: [host('a'), host('a')],
    hostsOut: ['a'],
    reason: 'InsufficientCapacity: 1 of 1 matching hosts have room; 2 replicas need 2 hosts, one replica per host',
  },
  {
    name: 'zero replicas',
    workload: wl({ replicas: 0 }),
    hosts: [host('a')],
    current: ['a'],
    hostsOut: [],
    reason: 'NoReplicas: replicas is 0',
  },
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
  it.each(cases)('$name', (c) => {
    const result = schedule(c.workload, c.hosts, c.current ?? [], {
      ...(c.avoid ? { avoid: new Set(c.avoid) } : {}),
      ...(c.topologyKey ? { topologyKey: c.topologyKey } : {}),
    });
    expect(result.hosts).toEqual(c.hostsOut);
    const wanted = c.workload.spec.replicas;
    expect(result.unplaced).toBe(Math.max(0, wanted - c.hostsOut.length));
    expect(result.reason ? `${result.reason.reason}: ${result.reason.message}` : undefined).toBe(c.reason);
  });

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

describe('requiredInterfaces', () => {
  it('lists each granted interface, versioned when the grant is, without the WASI core', () => {
    const w = wl({
      hostInterfaces: [
        grant('keyvalue', ['store', 'atomics'], '0.2.0-draft'),
        grant('http', ['incoming-handler', 'outgoing-handler', 'types']),
        grant('clocks', ['monotonic-clock'], '0.2.0'),
        { namespace: 'wasmcloud', package: 'messaging', interfaces: ['consumer', 'handler'], version: '0.2.0' },
      ],
    });
    expect(requiredInterfaces(w)).toEqual([
      'wasi:http/incoming-handler',
      'wasi:keyvalue/atomics@0.2.0-draft',
      'wasi:keyvalue/store@0.2.0-draft',
      'wasmcloud:messaging/consumer@0.2.0',
      'wasmcloud:messaging/handler@0.2.0',
    ]);
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
      { id: 'team/old', uid: 'u2', generation: 3, state: 'Failed', components: [] },
    ],
    intervalSeconds: 1,
    startedAt: '2026-11-28T00:00:00Z',
    sentAt: '2026-11-28T00:00:01Z',
  } satisfies Heartbeat;

  it('takes capacity, labels, interfaces, cordon, claims, digests and ids from the heartbeat', () => {
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
      running: new Set(['team/web', 'team/old']),
    });
    expect(candidateFromHeartbeat(hb).inFlight).toBe(0);
  });

  it('a heartbeat-built candidate does not conflict with its own workload’s route', () => {
    const w = wl({ hostInterfaces: [httpOn('shop.example')] });
    expect(schedule(w, [candidateFromHeartbeat(hb)], ['h1']).hosts).toEqual(['h1']);
    const other = { ...w, metadata: { ...w.metadata, name: 'other' } };
    const result = schedule(other, [candidateFromHeartbeat({ ...hb, cordoned: false })], []);
    expect(result.reason?.reason).toBe('RouteConflict');
  });
});
