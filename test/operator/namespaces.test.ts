/**
 * Hosts serve their HostConfig's namespace unless it shares them, end to end: real API
 * server, NATS and `skiff host` processes run from the host pods' own command lines
 * (LocalKubelet). A Workload of another namespace is not placed there until the HostConfig
 * lists its namespace (or `*`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, resourcePath } from '../k8s/cluster.js';
import { LocalKubelet, podIp } from './kubelet.js';
import {
  applyHostConfig,
  applyWorkload,
  condition,
  helloWorkload,
  type InProcessOperator,
  type Manifest,
  type Stack,
  startOperator,
  startStack,
  waitFor,
} from './stack.js';

let stack: Stack;
let other: string;
let kubelet: LocalKubelet;
let op: InProcessOperator;
let ip: string;

beforeAll(async () => {
  stack = await startStack('opns');
  other = await createNamespace(stack.cluster, 'opns-other');
  ip = podIp();
  kubelet = new LocalKubelet(stack, ip);
  kubelet.start();
  op = await startOperator(stack, 'ns-op', {
    natsUrl: stack.nats.url,
    hostImage: 'skiff:test',
    namespaces: [stack.namespace, other],
  });
});

afterAll(async () => {
  await op?.stop();
  await kubelet?.stop();
  await stack?.stop();
});

async function workloadIn(namespace: string, name: string): Promise<Manifest | undefined> {
  const res = await stack.cluster.http.send('GET', resourcePath('workloads', namespace, name));
  return res.status === 200 ? (res.body as Manifest) : undefined;
}

const readyIn = (namespace: string, name: string) =>
  waitFor(
    `${namespace}/${name} Ready`,
    async () => {
      const w = await workloadIn(namespace, name);
      return condition(w, 'Ready')?.status === 'True' ? w : undefined;
    },
    120_000,
  );

describe('namespaces served by HostConfig hosts', () => {
  it("runs its own namespace's Workloads and no other namespace's", async () => {
    await applyHostConfig(stack, { replicas: 1 });
    const image = await stack.image('hello-js');
    await applyWorkload(stack, helloWorkload(stack.namespace, 'mine', image));
    await applyWorkload(stack, helloWorkload(other, 'theirs', image));
    await readyIn(stack.namespace, 'mine');
    const theirs = await waitFor('theirs unschedulable', async () => {
      const w = await workloadIn(other, 'theirs');
      return condition(w, 'Scheduled')?.status === 'False' ? w : undefined;
    });
    expect(condition(theirs, 'Ready')).toMatchObject({ status: 'False', reason: 'NoMatchingHosts' });
    expect(condition(theirs, 'Ready')?.message).toContain(`no host serves namespace ${other}`);
  });

  it('runs another namespace once the HostConfig shares its hosts with it', async () => {
    await applyHostConfig(stack, { replicas: 1, namespaces: [stack.namespace, other] });
    const w = await readyIn(other, 'theirs');
    expect(w.status.placements[0]).toMatchObject({ state: 'Running' });
  });

  it('says why when the API server refuses its host pods, and recovers once it allows them', async () => {
    const quotas = `/api/v1/namespaces/${other}/resourcequotas`;
    const quota = {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'no-pods' },
      spec: { hard: { pods: '0' } },
    };
    expect((await stack.cluster.http.send('POST', quotas, quota)).status).toBe(201);
    // No quota controller runs beside the test API server: give the quota the usage it would count.
    const usage = { ...quota, status: { hard: { pods: '0' }, used: { pods: '0' } } };
    expect((await stack.cluster.http.send('PUT', `${quotas}/no-pods/status`, usage)).status).toBe(200);
    const hc = {
      apiVersion: 'runtime.skiff.dev/v1alpha1',
      kind: 'HostConfig',
      metadata: { name: 'refused', namespace: other },
      spec: { replicas: 1 },
    };
    const path = resourcePath('hostconfigs', other, 'refused');
    const applied = await stack.cluster.http.send(
      'PATCH',
      `${path}?fieldManager=kubectl&force=true`,
      hc,
      'application/apply-patch+yaml',
    );
    expect(applied.status).toBeLessThan(300);
    const refused = await waitFor('Ready=False PodCreateFailed', async () => {
      const got = (await stack.cluster.http.send('GET', path)).body as Manifest;
      return condition(got, 'Ready')?.reason === 'PodCreateFailed' ? got : undefined;
    });
    expect(condition(refused, 'Ready')).toMatchObject({ status: 'False' });
    expect(condition(refused, 'Ready')?.message).toMatch(/^creating a host pod failed: .*forbidden/);
    const events = await waitFor('a FailedCreate Event', async () => {
      const list = (await stack.cluster.http.send('GET', `/apis/events.k8s.io/v1/namespaces/${other}/events`))
        .body as Manifest;
      const found = (list.items ?? []).filter(
        (e: Manifest) => e.reason === 'FailedCreate' && e.regarding?.name === 'refused',
      );
      return found.length > 0 ? found : undefined;
    });
    expect(events[0]).toMatchObject({ type: 'Warning' });

    expect((await stack.cluster.http.send('DELETE', `${quotas}/no-pods`)).status).toBe(200);
    await waitFor('the host pod created once the quota is gone', async () => {
      const got = (await stack.cluster.http.send('GET', path)).body as Manifest;
      return condition(got, 'Ready')?.reason !== 'PodCreateFailed' && got.status?.replicas === 1;
    });
    expect((await stack.cluster.http.send('DELETE', path)).status).toBe(200);
  });
});
