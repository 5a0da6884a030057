import { describe, expect, it } from 'vitest';
import type { HostConfig } from '../../api/index.js';
import type { KubeObject } from '../kube/index.js';
import { type HostView, planHostConfig } from './plan.js';
import { DRAIN_ANNOTATION, HOSTCONFIG_LABEL, TEMPLATE_HASH_LABEL } from './pod.js';

const hc = (replicas: number, generation = 1): HostConfig => ({
  apiVersion: 'runtime.skiff.dev/v1alpha1',
  kind: 'HostConfig',
  metadata: { name: 'hosts', namespace: 'ns', uid: 'hc-uid', generation },
  spec: { replicas },
});

function pod(name: string, hash: string, extra: { draining?: boolean; phase?: string } = {}): KubeObject {
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: `${name}-uid`,
      labels: { [HOSTCONFIG_LABEL]: 'hosts', [TEMPLATE_HASH_LABEL]: hash },
      ...(extra.draining ? { annotations: { [DRAIN_ANNOTATION]: 'now' } } : {}),
    },
    status: { phase: extra.phase ?? 'Running' },
  };
}

const view = (hosts: Record<string, HostView>) => (p: KubeObject) =>
  hosts[p.metadata.name] ?? { live: false, cordoned: false, workloads: 0 };
const LIVE = { live: true, cordoned: false, workloads: 1 };

describe('planHostConfig', () => {
  it('creates the missing pods and reports Ready once their hosts heartbeat', () => {
    expect(planHostConfig({ hc: hc(2), hash: 'h1', pods: [], hostOf: view({}), now: 0 }).actions).toEqual([
      { type: 'create', count: 2 },
    ]);
    const pods = [pod('p1', 'h1'), pod('p2', 'h1')];
    const ready = planHostConfig({ hc: hc(2), hash: 'h1', pods, hostOf: view({ p1: LIVE, p2: LIVE }), now: 0 });
    expect(ready.actions).toEqual([]);
    expect(ready.status).toMatchObject({ replicas: 2, readyReplicas: 2, updatedReplicas: 2 });
    expect(ready.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('replaces on a template change: surge one, drain an old one only when the new host is ready', () => {
    const old = [pod('o1', 'h1'), pod('o2', 'h1')];
    expect(
      planHostConfig({ hc: hc(2, 2), hash: 'h2', pods: old, hostOf: view({ o1: LIVE, o2: LIVE }), now: 0 }).actions,
    ).toEqual([{ type: 'create', count: 1 }]);
    const surged = [...old, pod('n1', 'h2')];
    const waiting = planHostConfig({
      hc: hc(2, 2),
      hash: 'h2',
      pods: surged,
      hostOf: view({ o1: LIVE, o2: LIVE }),
      now: 0,
    });
    expect(waiting.actions).toEqual([]);
    const up = planHostConfig({
      hc: hc(2, 2),
      hash: 'h2',
      pods: surged,
      hostOf: view({ o1: LIVE, o2: LIVE, n1: LIVE }),
      now: 0,
    });
    expect(up.actions).toEqual([{ type: 'drain', pod: 'o1' }]);
  });

  it('deletes a draining pod once its host is empty, and keeps it cordoned meanwhile', () => {
    const pods = [pod('o1', 'h1', { draining: true }), pod('o2', 'h1'), pod('n1', 'h2')];
    const busy = planHostConfig({
      hc: hc(2, 2),
      hash: 'h2',
      pods,
      hostOf: view({ o1: LIVE, o2: LIVE, n1: LIVE }),
      now: 0,
    });
    expect(busy.actions).toContainEqual({ type: 'cordon', pod: 'o1' });
    const empty = { live: true, cordoned: true, workloads: 0 };
    const done = planHostConfig({
      hc: hc(2, 2),
      hash: 'h2',
      pods,
      hostOf: view({ o1: empty, o2: LIVE, n1: LIVE }),
      now: 0,
    });
    expect(done.actions).toContainEqual({ type: 'delete', pod: 'o1', uid: 'o1-uid', why: 'drained' });
  });

  it('replaces failed pods and old pods whose host never came up without draining them', () => {
    const pods = [pod('f1', 'h1', { phase: 'Failed' }), pod('o1', 'h1')];
    const p = planHostConfig({ hc: hc(1), hash: 'h1', pods, hostOf: view({}), now: 0 });
    expect(p.actions).toContainEqual({ type: 'delete', pod: 'f1', uid: 'f1-uid', why: 'pod Failed' });
    const stale = planHostConfig({
      hc: hc(1, 2),
      hash: 'h2',
      pods: [pod('o1', 'h1'), pod('n1', 'h2')],
      hostOf: view({ n1: LIVE }),
      now: 0,
    });
    expect(stale.actions).toContainEqual({
      type: 'delete',
      pod: 'o1',
      uid: 'o1-uid',
      why: 'replaced (host never ready)',
    });
  });
});
