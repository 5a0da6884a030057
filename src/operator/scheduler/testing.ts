/**
 * Helpers for the scheduler's table tests: candidates and workloads with defaults, and one
 * runner that checks placement, the unplaced count and the reason of each case.
 */
import { expect } from 'vitest';
import type { HostInterface, Workload } from '../../api/index.js';
import type { HostCandidate } from './candidate.js';
import { schedule } from './schedule.js';

/** ZONE is the default topology label. */
export const ZONE = 'topology.kubernetes.io/zone';
/** KV is keyvalue's store interface at the version hosts announce. */
export const KV = 'wasi:keyvalue/store@0.2.0-draft';
/** BLOB is blobstore's main interface at the version hosts announce. */
export const BLOB = 'wasi:blobstore/blobstore@0.2.0-draft';
/** HTTP is what a host with an HTTP server announces. */
export const HTTP = 'wasi:http/incoming-handler@0.2.0';
/** DIGEST is a component digest. */
export const DIGEST = `sha256:${'a'.repeat(64)}`;

/** host is a candidate with room, HTTP and keyvalue, no labels; `over` changes what a case needs. */
export function host(hostId: string, over: Partial<HostCandidate> = {}): HostCandidate {
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

/** wl is the workload `team/web` with one component and no grants; `over` changes its spec. */
export function wl(over: Partial<Workload['spec']> = {}): Workload {
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

/** grant grants interfaces of a `wasi:` package. */
export const grant = (
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

/** httpOn grants serving HTTP for one virtual host. */
export const httpOn = (vhost: string) => grant('http', ['incoming-handler'], undefined, { host: vhost });

/** Case is one row of a scheduler table. */
export interface Case {
  name: string;
  workload: Workload;
  hosts: HostCandidate[];
  current?: string[];
  avoid?: string[];
  topologyKey?: string;
  hostsOut: string[];
  reason?: string;
}

/** check schedules a case and compares hosts, unplaced and `Reason: message` with what it expects. */
export function check(c: Case): void {
  const result = schedule(c.workload, c.hosts, c.current ?? [], {
    ...(c.avoid ? { avoid: new Set(c.avoid) } : {}),
    ...(c.topologyKey ? { topologyKey: c.topologyKey } : {}),
  });
  expect(result.hosts).toEqual(c.hostsOut);
  expect(result.unplaced).toBe(Math.max(0, c.workload.spec.replicas - c.hostsOut.length));
  expect(result.reason ? `${result.reason.reason}: ${result.reason.message}` : undefined).toBe(c.reason);
}
