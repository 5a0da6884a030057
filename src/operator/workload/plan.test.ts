import { describe, expect, it } from 'vitest';
import { type Heartbeat, PROTOCOL_VERSION, type Workload, type WorkloadReport } from '../../api/index.js';
import { candidateFromHeartbeat } from '../scheduler/index.js';
import { type Failure, type InFlight, plan, type WorkloadSnapshot } from './plan.js';

const NOW = Date.parse('2026-11-28T10:00:00Z');

function workload(over: Partial<Workload['spec']> = {}, generation = 1, uid = 'uid-1'): Workload {
  return {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name: 'web', namespace: 'team', uid, generation },
    spec: {
      replicas: 1,
      components: [{ name: 'hello', image: 'registry.local/hello:1' }],
      hostInterfaces: [],
      volumes: [],
      ...over,
    },
  };
}

function report(generation: number, state: WorkloadReport['state'] = 'Running', uid = 'uid-1'): WorkloadReport {
  return { id: 'team/web', uid, generation, state, components: [] };
}

function host(hostId: string, workloads: WorkloadReport[] = [], over: Partial<Heartbeat> = {}): Heartbeat {
  return {
    protocol: PROTOCOL_VERSION,
    hostId,
    labels: {},
    capacity: { maxWorkloads: 10, workloads: workloads.length, cpus: 2, memoryBytes: 1, freeMemoryBytes: 1 },
    interfaces: [],
    workloads,
    intervalSeconds: 1,
    startedAt: '2026-11-28T09:00:00Z',
    sentAt: '2026-11-28T10:00:00Z',
    cordoned: false,
    ...over,
  } as Heartbeat;
}

function snapshot(w: Workload | undefined, hosts: Heartbeat[], over: Partial<WorkloadSnapshot> = {}): WorkloadSnapshot {
  return {
    id: 'team/web',
    workload: w,
    deleting: false,
    hasFinalizer: true,
    candidates: hosts.filter((h) => !over.draining?.has(h.hostId)).map((h) => candidateFromHeartbeat(h)),
    reports: hosts.flatMap((h) =>
      h.workloads.filter((r) => r.id === 'team/web').map((r) => ({ hostId: h.hostId, report: r })),
    ),
    inFlight: [],
    failures: [],
    canSweep: true,
    now: NOW,
    ...over,
  };
}

const condition = (p: ReturnType<typeof plan>, type: string) => p.status?.conditions?.find((c) => c.type === type);

describe('plan', () => {
  it('adds the finalizer and starts a new workload on one host', () => {
    const p = plan(snapshot(workload(), [host('a'), host('b')], { hasFinalizer: false }));
    expect(p.actions).toEqual([{ type: 'addFinalizer' }, { type: 'start', hostId: 'a', update: false }]);
    expect(condition(p, 'Scheduled')).toMatchObject({ status: 'True' });
    expect(condition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'Starting' });
    expect(p.status?.observedGeneration).toBe(1);
  });

  it('does nothing for a replica that runs the current generation, and reports Ready', () => {
    const p = plan(snapshot(workload(), [host('a', [report(1)]), host('b')]));
    expect(p.actions).toEqual([]);
    expect(condition(p, 'Ready')).toMatchObject({ status: 'True', reason: 'Running' });
    expect(condition(p, 'Available')).toMatchObject({ status: 'True' });
    expect(condition(p, 'Stalled')).toMatchObject({ status: 'False' });
    expect(p.status).toMatchObject({ replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 });
    expect(p.status?.placements).toEqual([{ host: 'a', state: 'Running', generation: 1 }]);
  });

  it("reports each host's service state in its placement", () => {
    const service = { name: 'svc', state: 'Failed' as const, restarts: 3, reason: 'ServiceTrapped', message: 'trap' };
    const p = plan(snapshot(workload(), [host('a', [{ ...report(1), service }])]));
    expect(p.actions).toEqual([]);
    expect(p.status?.placements).toEqual([{ host: 'a', state: 'Running', generation: 1, service }]);
  });

  it('does not send a second start while one is in flight', () => {
    const inFlight: InFlight[] = [{ hostId: 'a', op: 'start', uid: 'uid-1', generation: 1 }];
    const p = plan(snapshot(workload(), [host('a'), host('b')], { inFlight }));
    expect(p.actions).toEqual([]);
    expect(p.status?.placements).toEqual([{ host: 'a', state: 'Starting', generation: 1 }]);
  });

  it('rolls a new generation one host at a time by default (maxSurge 1, maxUnavailable 0)', () => {
    const hosts = [host('a', [report(1)]), host('b', [report(1)]), host('c', [report(1)])];
    const p = plan(snapshot(workload({ replicas: 3 }, 2), hosts));
    expect(p.actions).toEqual([{ type: 'start', hostId: 'a', update: true }]);
    expect(condition(p, 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
    expect(condition(p, 'Available')).toMatchObject({ status: 'True' });
    const wider = plan(snapshot(workload({ replicas: 3, strategy: { rollingUpdate: { maxSurge: 2 } } }, 2), hosts));
    expect(wider.actions.filter((a) => a.type === 'start')).toHaveLength(2);
  });

  it('stops retrying a terminal failure and says why in Ready and Stalled', () => {
    const failures: Failure[] = [
      {
        hostId: 'a',
        uid: 'uid-1',
        generation: 1,
        code: 'SKIFF_INVALID_COMPONENT',
        message: 'not a component',
        attempts: 1,
        retryAt: 0,
      },
    ];
    const p = plan(snapshot(workload(), [host('a', [report(1, 'Failed')])], { failures }));
    expect(p.actions).toEqual([]);
    expect(condition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidComponent' });
    expect(condition(p, 'Ready')?.message).toContain('not a component');
    expect(condition(p, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidComponent' });
    expect(condition(p, 'Progressing')).toMatchObject({ status: 'False' });
    expect(p.status?.placements?.[0]).toMatchObject({ host: 'a', state: 'Failed', reason: 'InvalidComponent' });
  });

  it('shows a failed start as Failed before the next heartbeat does, and a failed update as still Running', () => {
    const failures: Failure[] = [
      { hostId: 'a', uid: 'uid-1', generation: 2, code: 'SKIFF_NOT_GRANTED', message: 'no', attempts: 1, retryAt: 0 },
    ];
    const fresh = plan(snapshot(workload({}, 2), [host('a', [report(2, 'Starting')])], { failures }));
    expect(fresh.status?.placements?.[0]).toMatchObject({ state: 'Failed', reason: 'InterfaceNotGranted' });
    const update = plan(snapshot(workload({}, 2), [host('a', [report(1)])], { failures }));
    expect(update.status?.placements?.[0]).toMatchObject({
      state: 'Running',
      generation: 1,
      reason: 'InterfaceNotGranted',
    });
    expect(update.actions).toEqual([]);
    expect(update.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
  });

  it('retries a retryable failure only after its backoff, asking to be woken then', () => {
    const failures: Failure[] = [
      {
        hostId: 'a',
        uid: 'uid-1',
        generation: 1,
        code: 'SKIFF_FETCH_FAILED',
        message: 'registry down',
        attempts: 2,
        retryAt: NOW + 200,
      },
    ];
    const hosts = [host('a', [report(1, 'Failed')])];
    const waiting = plan(snapshot(workload(), hosts, { failures }));
    expect(waiting.actions).toEqual([]);
    expect(waiting.requeueAfterMs).toBe(200);
    const due = plan(snapshot(workload(), hosts, { failures, now: NOW + 200 }));
    expect(due.actions).toEqual([{ type: 'start', hostId: 'a', update: false }]);
  });

  it('sends a replica elsewhere when its host refused it with a reschedule code', () => {
    const failures: Failure[] = [
      {
        hostId: 'a',
        uid: 'uid-1',
        generation: 1,
        code: 'SKIFF_HOST_FULL',
        message: 'full',
        attempts: 1,
        retryAt: NOW + 100,
      },
    ];
    const p = plan(snapshot(workload(), [host('a'), host('b')], { failures }));
    expect(p.actions).toEqual([{ type: 'start', hostId: 'b', update: false }]);
  });

  it('scales down by stopping the extra replica with its uid', () => {
    const p = plan(snapshot(workload({ replicas: 1 }, 2), [host('a', [report(2)]), host('b', [report(2)])]));
    expect(p.actions).toEqual([{ type: 'stop', hostId: 'b', uid: 'uid-1', why: 'scale-down' }]);
  });

  it('replaces the replica of a lost host on another host', () => {
    const p = plan(snapshot(workload({ replicas: 2 }), [host('b', [report(1)]), host('c')]));
    expect(p.actions).toEqual([{ type: 'start', hostId: 'c', update: false }]);
  });

  it('sweeps replicas of another uid or of no Workload, but only when it can trust absence', () => {
    const stale = [host('a', [report(1, 'Running', 'old-uid')])];
    expect(plan(snapshot(workload(), stale)).actions).toContainEqual({
      type: 'stop',
      hostId: 'a',
      uid: 'old-uid',
      why: 'orphan',
    });
    expect(plan(snapshot(undefined, stale)).actions).toEqual([
      { type: 'stop', hostId: 'a', uid: 'old-uid', why: 'orphan' },
    ]);
    expect(plan(snapshot(undefined, stale, { canSweep: false })).actions).toEqual([]);
  });

  it('stops everywhere before removing the finalizer of a deleted workload', () => {
    const hosts = [host('a', [report(1)]), host('b', [report(1)])];
    const p = plan(snapshot(workload({ replicas: 2 }), hosts, { deleting: true }));
    expect(p.actions).toEqual([
      { type: 'stop', hostId: 'a', uid: 'uid-1', why: 'deleting' },
      { type: 'stop', hostId: 'b', uid: 'uid-1', why: 'deleting' },
    ]);
    expect(p.status).toBeUndefined();
    expect(plan(snapshot(workload(), [host('a')], { deleting: true })).actions).toEqual([{ type: 'removeFinalizer' }]);
  });

  it('names what is missing when no host fits', () => {
    const w = workload({ hostSelector: { zone: 'eu' } });
    const p = plan(snapshot(w, [host('a', [], { labels: { zone: 'us' } })]));
    expect(p.actions).toEqual([]);
    expect(condition(p, 'Scheduled')).toMatchObject({ status: 'False', reason: 'NoMatchingHosts' });
    expect(condition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'NoMatchingHosts' });
  });
});

describe('plan: draining hosts and endpoints', () => {
  it('moves a replica off a draining host: start elsewhere, then unroute, then stop after the grace period', () => {
    const w = workload({ hostInterfaces: [{ namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'] }] });
    const http = { interfaces: ['wasi:http/incoming-handler', 'wasi:http/incoming-handler@0.2.0'] };
    const hosts = [host('a', [report(1)], http), host('b', [], http)];
    const base = { draining: new Set(['a']), routeGraceMs: 3_000 };
    // With nowhere to go, the replica on the draining host keeps serving.
    expect(plan(snapshot(w, [hosts[0]!], base)).actions).toEqual([]);
    const p1 = plan(snapshot(w, hosts, base));
    expect(p1.actions).toEqual([{ type: 'start', hostId: 'b', update: false }]);
    expect(p1.routed).toEqual(['a']);
    const moved = [host('a', [report(1)], http), host('b', [report(1)], http)];
    const p2 = plan(snapshot(w, moved, base));
    expect(p2.actions).toEqual([{ type: 'unroute', hostId: 'a' }]);
    expect(p2.routed).toEqual(['b']);
    expect(p2.requeueAfterMs).toBe(3_000);
    const unrouted = new Map([['a', NOW]]);
    expect(plan(snapshot(w, moved, { ...base, unrouted, now: NOW + 1_000 })).actions).toEqual([]);
    const p3 = plan(snapshot(w, moved, { ...base, unrouted, now: NOW + 3_000 }));
    expect(p3.actions).toEqual([{ type: 'stop', hostId: 'a', uid: 'uid-1', why: 'moved' }]);
    expect(p3.routed).toEqual(['b']);
  });

  it('stops a replica on a host that drains at once, with the grace period as its drain period', () => {
    const w = workload({ hostInterfaces: [{ namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'] }] });
    const http = { interfaces: ['wasi:http/incoming-handler', 'wasi:http/incoming-handler@0.2.0'] };
    const moved = [host('a', [report(1)], http), host('b', [report(1)], http)];
    const base = { draining: new Set(['a']), routeGraceMs: 3_000, drainable: new Set(['a', 'b']) };
    const p = plan(snapshot(w, moved, base));
    expect(p.actions).toEqual([
      { type: 'unroute', hostId: 'a' },
      { type: 'stop', hostId: 'a', uid: 'uid-1', why: 'moved', drainMs: 3_000 },
    ]);
    expect(p.routed).toEqual(['b']);
    // While the stop drains, the host still reports Running until its next heartbeat: it stays unrouted.
    const unrouted = new Map([['a', NOW]]);
    const inFlight = [{ hostId: 'a', op: 'stop' as const, uid: 'uid-1', generation: 0 }];
    const during = plan(snapshot(w, moved, { ...base, unrouted, inFlight, now: NOW + 1_000 }));
    expect(during.actions).toEqual([]);
    expect(during.routed).toEqual(['b']);
    const stopping = [host('a', [report(1, 'Stopping')], http), host('b', [report(1)], http)];
    expect(plan(snapshot(w, stopping, { ...base, unrouted, inFlight })).routed).toEqual(['b']);
    // A drain stop that failed is retried as a plain stop once the grace period is over.
    expect(plan(snapshot(w, moved, { ...base, unrouted, now: NOW + 3_000 })).actions).toEqual([
      { type: 'stop', hostId: 'a', uid: 'uid-1', why: 'moved' },
    ]);
  });
});
