/**
 * The Argo CD health check (deploy/gitops/argocd/health.lua) gives the right verdict under
 * Debian's lua5.1 (the dialect of Argo CD's gopher-lua) and lua5.4, for Workload statuses the
 * operator's own reconciler (`plan()`) writes and for HostConfig statuses.
 */
import { describe, expect, it } from 'vitest';
import { type Heartbeat, PROTOCOL_VERSION, type Workload, type WorkloadReport } from '../../../src/api/index.js';
import { candidateFromHeartbeat } from '../../../src/operator/scheduler/index.js';
import { type Failure, plan, type WorkloadSnapshot } from '../../../src/operator/workload/plan.js';
import type { Manifest } from '../cluster.js';
import { health, LUA_BINARIES } from './lua.js';

// Statuses as the operator writes them: plan() is the Workload reconciler's pure core.
const NOW = Date.parse('2026-11-28T10:00:00Z');
const UID = 'uid-1';

function workload(generation: number, spec: Partial<Workload['spec']> = {}): Workload {
  return {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name: 'web', namespace: 'team', uid: UID, generation },
    spec: {
      replicas: 1,
      components: [{ name: 'hello', image: 'registry.local/hello:1' }],
      hostInterfaces: [],
      volumes: [],
      ...spec,
    },
  };
}

function host(hostId: string, reports: WorkloadReport[] = []): Heartbeat {
  return {
    protocol: PROTOCOL_VERSION,
    hostId,
    labels: {},
    capacity: { maxWorkloads: 10, workloads: reports.length, cpus: 2, memoryBytes: 1, freeMemoryBytes: 1 },
    interfaces: [],
    workloads: reports,
    intervalSeconds: 1,
    startedAt: '2026-11-28T09:00:00Z',
    sentAt: '2026-11-28T10:00:00Z',
    cordoned: false,
  } as Heartbeat;
}

const report = (generation: number, state: WorkloadReport['state'] = 'Running'): WorkloadReport => ({
  id: 'team/web',
  uid: UID,
  generation,
  state,
  components: [],
});

const failure = (code: string, message: string): Failure => ({
  hostId: 'a',
  uid: UID,
  generation: 1,
  code,
  message,
  attempts: 2,
  retryAt: NOW + 1000,
});

/** observed is the Workload as the API server holds it after the operator wrote the status of `w`. */
function observed(w: Workload, hosts: Heartbeat[], over: Partial<WorkloadSnapshot> = {}): Manifest {
  const s: WorkloadSnapshot = {
    id: 'team/web',
    workload: w,
    deleting: false,
    hasFinalizer: true,
    candidates: hosts.map((h) => candidateFromHeartbeat(h)),
    reports: hosts.flatMap((h) => h.workloads.map((r) => ({ hostId: h.hostId, report: r }))),
    inFlight: [],
    failures: [],
    canSweep: true,
    now: NOW,
    ...over,
  };
  const { status } = plan(s);
  return { ...w, status };
}

const cases: [string, () => Manifest, string, RegExp][] = [
  ['a new Workload the operator has not seen', () => workload(1), 'Progressing', /Waiting for the Skiff operator/],
  ['every replica running', () => observed(workload(1), [host('a', [report(1)])]), 'Healthy', /^Running: 1 of 1/],
  [
    'a spec change the operator has not seen yet',
    () => ({ ...observed(workload(1), [host('a', [report(1)])]), metadata: { ...workload(2).metadata } }),
    'Progressing',
    /observe generation 2/,
  ],
  ['starting', () => observed(workload(1), [host('a')]), 'Progressing', /^Starting/],
  [
    'a new generation rolling out',
    () => observed(workload(2), [host('a', [report(1)])]),
    'Progressing',
    /^Starting: 0 of 1 replicas running generation 2/,
  ],
  [
    'no host matches',
    () => observed(workload(1, { hostSelector: { zone: 'z' } }), [host('a')]),
    'Progressing',
    /^NoMatchingHosts: /,
  ],
  [
    'a terminal failure (Stalled)',
    () =>
      observed(workload(1), [host('a', [report(1, 'Failed')])], {
        failures: [failure('SKIFF_INVALID_COMPONENT', 'not a component')],
      }),
    'Degraded',
    /^InvalidComponent: .*not a component/,
  ],
  [
    'a failed start being retried',
    () =>
      observed(workload(1), [host('a', [report(1, 'Failed')])], {
        failures: [failure('SKIFF_FETCH_FAILED', 'registry said 500')],
      }),
    'Degraded',
    /^FetchFailed: .*registry said 500/,
  ],
  ['scaled to zero', () => observed(workload(1, { replicas: 0 }), [host('a')]), 'Healthy', /^ScaledToZero/],
  [
    'being deleted',
    () => ({
      ...observed(workload(1), [host('a', [report(1)])]),
      metadata: { ...workload(1).metadata, deletionTimestamp: '2026-11-28T10:00:00Z' },
    }),
    'Progressing',
    /^Deleting/,
  ],
];

const condition = (type: string, status: string, reason: string, generation = 1) => ({
  type,
  status,
  reason,
  message: `${reason} message`,
  observedGeneration: generation,
  lastTransitionTime: '2026-11-28T10:00:00Z',
});
const hostConfig = (generation: number, status?: Manifest): Manifest => ({
  apiVersion: 'runtime.skiff.dev/v1alpha1',
  kind: 'HostConfig',
  metadata: { name: 'default', namespace: 'skiff-system', generation },
  spec: { replicas: 2 },
  ...(status ? { status } : {}),
});
const hostConfigCases: [string, Manifest, string][] = [
  ['no status yet', hostConfig(1), 'Progressing'],
  [
    'every host ready',
    hostConfig(1, {
      observedGeneration: 1,
      replicas: 2,
      readyReplicas: 2,
      conditions: [condition('Ready', 'True', 'HostsReady')],
    }),
    'Healthy',
  ],
  [
    'hosts coming up',
    hostConfig(1, {
      observedGeneration: 1,
      replicas: 2,
      readyReplicas: 1,
      conditions: [condition('Ready', 'False', 'HostsStarting')],
    }),
    'Progressing',
  ],
  [
    'a Ready condition of an older generation',
    hostConfig(2, { conditions: [condition('Ready', 'True', 'HostsReady', 1)] }),
    'Progressing',
  ],
  [
    'stalled',
    hostConfig(1, {
      observedGeneration: 1,
      conditions: [condition('Ready', 'False', 'ImagePullFailed'), condition('Stalled', 'True', 'ImagePullFailed')],
    }),
    'Degraded',
  ],
];

describe.each(LUA_BINARIES)('Argo CD health check under %s', (lua) => {
  it.each(cases)('Workload: %s', async (_what, obj, status, message) => {
    const hs = await health(lua, obj());
    expect(hs.status).toBe(status);
    expect(hs.message).toMatch(message);
  });

  it.each(hostConfigCases)('HostConfig: %s', async (_what, obj, status) => {
    expect((await health(lua, obj)).status).toBe(status);
  });
});

describe('Lua interpreters', () => {
  it('at least one is installed (Debian lua5.1 or lua5.4; .ci/run installs both)', () => {
    expect(LUA_BINARIES.length).toBeGreaterThan(0);
  });
});
