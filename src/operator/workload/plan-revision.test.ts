import { describe, expect, it } from 'vitest';
import { type Heartbeat, PROTOCOL_VERSION, type Workload, type WorkloadReport } from '../../api/index.js';
import { candidateFromHeartbeat } from '../scheduler/index.js';
import { plan, type WorkloadSnapshot } from './plan.js';

const NOW = Date.parse('2026-11-28T10:00:00Z');

const workload: Workload = {
  apiVersion: 'runtime.skiff.dev/v1alpha1',
  kind: 'Workload',
  metadata: { name: 'web', namespace: 'team', uid: 'uid-1', generation: 3 },
  spec: {
    replicas: 1,
    components: [{ name: 'hello', image: 'registry.local/hello:1', configFrom: [{ name: 'app' }] }],
    hostInterfaces: [],
    volumes: [],
  },
};

const report = (revision: string | undefined, state: WorkloadReport['state'] = 'Running'): WorkloadReport => ({
  id: 'team/web',
  uid: 'uid-1',
  generation: 3,
  ...(revision ? { revision } : {}),
  state,
  components: [],
});

function snapshot(reports: WorkloadReport[], over: Partial<WorkloadSnapshot> = {}): WorkloadSnapshot {
  const hb = {
    protocol: PROTOCOL_VERSION,
    hostId: 'a',
    labels: {},
    capacity: { maxWorkloads: 10, workloads: reports.length, cpus: 2, memoryBytes: 1, freeMemoryBytes: 1 },
    interfaces: [],
    workloads: reports,
    intervalSeconds: 1,
    startedAt: '2026-11-28T09:00:00Z',
    sentAt: '2026-11-28T10:00:00Z',
    cordoned: false,
  } as Heartbeat;
  return {
    id: 'team/web',
    workload,
    deleting: false,
    hasFinalizer: true,
    candidates: [candidateFromHeartbeat(hb)],
    reports: reports.map((report) => ({ hostId: 'a', report })),
    inFlight: [],
    failures: [],
    canSweep: true,
    now: NOW,
    ...over,
  };
}

const condition = (p: ReturnType<typeof plan>, type: string) => p.status?.conditions?.find((c) => c.type === type);

describe('plan with revisions', () => {
  it('leaves a replica of the current revision alone and shows the revision in status', () => {
    const p = plan(snapshot([report('r1')], { revision: 'r1' }));
    expect(p.actions).toEqual([]);
    expect(p.status).toMatchObject({ revision: 'r1', updatedReplicas: 1, readyReplicas: 1 });
    expect(p.status?.placements).toEqual([{ host: 'a', state: 'Running', generation: 3, revision: 'r1' }]);
    expect(condition(p, 'Ready')).toMatchObject({ status: 'True' });
  });

  it('rolls a replica of another revision of the same generation like a new generation', () => {
    const p = plan(snapshot([report('r1')], { revision: 'r2' }));
    expect(p.actions).toEqual([{ type: 'start', hostId: 'a', update: true }]);
    expect(p.status).toMatchObject({ revision: 'r2', updatedReplicas: 0, readyReplicas: 1, availableReplicas: 1 });
    expect(condition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'Starting' });
    expect(condition(p, 'Available')).toMatchObject({ status: 'True' });
  });

  it('forgets a terminal failure of an older revision: the new one is tried', () => {
    const failure = {
      hostId: 'a',
      uid: 'uid-1',
      generation: 3,
      revision: 'r1',
      code: 'SKIFF_CONFIG_INVALID',
      message: 'bad',
      attempts: 1,
      retryAt: NOW + 60_000,
    };
    const stuck = plan(snapshot([report('r1', 'Failed')], { revision: 'r1', failures: [failure] }));
    expect(stuck.actions).toEqual([]);
    expect(condition(stuck, 'Stalled')).toMatchObject({ status: 'True', reason: 'ConfigInvalid' });
    const fixed = plan(snapshot([report('r1', 'Failed')], { revision: 'r2', failures: [failure] }));
    expect(fixed.actions).toEqual([{ type: 'start', hostId: 'a', update: false }]);
  });

  it('holds every start back while a reference is missing, keeps the replica serving, and says why', () => {
    const blocked = { reason: 'ConfigNotFound', message: 'ConfigMap app not found in namespace team' };
    const p = plan(snapshot([report('r1')], { revision: 'r2', blocked }));
    expect(p.actions).toEqual([]);
    expect(p.routed).toEqual(['a']);
    expect(condition(p, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ConfigNotFound',
      message: '0 of 1 replicas running generation 3; ConfigMap app not found in namespace team',
    });
    expect(condition(p, 'Stalled')).toMatchObject({ status: 'False' });
    const fresh = plan(snapshot([], { revision: 'r2', blocked }));
    expect(fresh.actions).toEqual([]);
    expect(condition(fresh, 'Progressing')).toMatchObject({ status: 'False', reason: 'ConfigNotFound' });
  });

  it('compares no revision when the workload has none (hosts from before revisions)', () => {
    const p = plan(snapshot([report(undefined)]));
    expect(p.actions).toEqual([]);
    expect(p.status?.revision).toBeUndefined();
  });
});
