import { describe, expect, it } from 'vitest';
import { requiredInterfaces } from './filters.js';
import { BLOB, type Case, check, grant, host, httpOn, KV, wl } from './testing.js';

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
    name: 'a workload with a service skips hosts whose service threads are all taken (older hosts say nothing)',
    workload: wl({ replicas: 3, service: { name: 'svc', image: 'registry.local/svc:1' } }),
    hosts: [
      host('a', { services: { max: 2, running: 2 } }),
      host('b', { services: { max: 2, running: 1 } }),
      host('c'),
    ],
    hostsOut: ['b', 'c'],
    reason:
      'InsufficientCapacity: 2 of 3 matching hosts have room (1 without a free service thread); 3 replicas need 3 hosts, one replica per host',
  },
  {
    name: 'a workload without a service ignores service threads',
    workload: wl(),
    hosts: [host('a', { services: { max: 0, running: 0 } })],
    hostsOut: ['a'],
  },
  {
    name: 'no service thread free anywhere says so',
    workload: wl({ service: { name: 'svc', image: 'registry.local/svc:1' } }),
    hosts: [host('a', { services: { max: 1, running: 1 } }), host('b', { workloads: 10 })],
    hostsOut: [],
    reason: 'InsufficientCapacity: 0 of 2 matching hosts have room (1 full, 1 without a free service thread)',
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
];

describe('schedule filters and reasons', () => {
  it.each(cases)('$name', check);
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
