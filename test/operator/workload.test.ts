/**
 * The operator against the real API server, a real nats-server and real `skiff host`
 * processes: apply → Ready and serving; status and columns; scale; a new generation;
 * a broken component; nothing fits; deletion; Host objects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyWorkload,
  condition,
  deleteWorkload,
  getWorkload,
  type HostProcess,
  helloWorkload,
  type InProcessOperator,
  type Stack,
  startHost,
  startOperator,
  startStack,
  waitFor,
  waitReady,
} from './stack.js';

let stack: Stack;
let hosts: HostProcess[] = [];
let op: InProcessOperator;

beforeAll(async () => {
  stack = await startStack('opwl');
  hosts = await Promise.all([startHost(stack, 'host-a', { zone: 'a' }), startHost(stack, 'host-b', { zone: 'b' })]);
  op = await startOperator(stack);
});

afterAll(async () => {
  await op?.stop();
  await Promise.all(hosts.map((h) => h.run.stop()));
  await stack?.stop();
});

const hostsRunning = async (id: string) => {
  const out: string[] = [];
  for (const h of hosts) {
    const res = await h.get(id).catch(() => ({ status: 0, text: '' }));
    if (res.status === 200) out.push(h.id);
  }
  return out;
};

describe('operator: Workloads onto hosts', () => {
  it('applies a Workload, reports Ready with conventional status, and serves it', async () => {
    const image = await stack.image('hello-js');
    await applyWorkload(stack, helloWorkload(stack.namespace, 'hello', image));
    const w = await waitReady(stack, 'hello');
    expect(w.metadata.finalizers).toContain('runtime.skiff.dev/stop');
    expect(w.status).toMatchObject({
      observedGeneration: 1,
      replicas: 1,
      readyReplicas: 1,
      updatedReplicas: 1,
      availableReplicas: 1,
    });
    for (const type of ['Ready', 'Scheduled', 'Available', 'Progressing']) {
      expect(condition(w, type)).toMatchObject({ status: 'True', observedGeneration: 1 });
    }
    expect(condition(w, 'Stalled')?.status).toBe('False');
    expect(w.status.placements).toHaveLength(1);
    expect(w.status.placements[0]).toMatchObject({ state: 'Running', generation: 1 });
    const vhost = `hello.${stack.namespace}.test`;
    expect(await hostsRunning(vhost)).toEqual([w.status.placements[0].host]);
    const table = await stack.cluster.kubectl('get', 'wl', '-n', stack.namespace);
    expect(table.stdout).toMatch(/NAME\s+REPLICAS\s+READY\s+STATUS\s+REASON\s+AGE/);
    expect(table.stdout).toMatch(/hello\s+1\s+1\s+True\s+Running/);
  });

  it('keeps lastTransitionTime when nothing flips, and scales with kubectl scale', async () => {
    const before = condition(await getWorkload(stack, 'hello'), 'Ready');
    const scaled = await stack.cluster.kubectl('scale', 'wl/hello', '-n', stack.namespace, '--replicas=2');
    expect(scaled.code, scaled.stderr).toBe(0);
    const w = await waitFor('two ready replicas', async () => {
      const x = await getWorkload(stack, 'hello');
      return x?.status?.readyReplicas === 2 && condition(x, 'Ready')?.status === 'True' ? x : undefined;
    });
    expect(condition(w, 'Ready')?.lastTransitionTime).toBeDefined();
    expect(w.status.selector).toBe('runtime.skiff.dev/workload=hello');
    expect(await hostsRunning(`hello.${stack.namespace}.test`)).toEqual(['host-a', 'host-b']);
    // Ready went False (1 of 2) and back to True: its transition time moved; Scheduled never flipped.
    const scheduled = condition(w, 'Scheduled');
    expect(scheduled?.status).toBe('True');
    expect(before?.status).toBe('True');
    await stack.cluster.kubectl('scale', 'wl/hello', '-n', stack.namespace, '--replicas=1');
    await waitFor('scale down to one host', async () =>
      (await hostsRunning(`hello.${stack.namespace}.test`)).length === 1 ? true : undefined,
    );
  });

  it('rolls a new generation onto the running replica', async () => {
    const image = await stack.image('hello-js');
    await applyWorkload(
      stack,
      helloWorkload(stack.namespace, 'hello', image, {
        components: [{ name: 'hello', image, config: { greeting: 'v2' } }],
      }),
    );
    const w = await waitReady(stack, 'hello');
    expect(w.metadata.generation).toBeGreaterThan(1);
    expect(w.status.placements[0].generation).toBe(w.metadata.generation);
  });

  it('fails a component that imports what it was not granted, with the host reason, without hammering the host', async () => {
    const image = await stack.image('kitchen-sink');
    await applyWorkload(stack, helloWorkload(stack.namespace, 'broken', image));
    const w = await waitFor('broken to be Stalled', async () => {
      const x = await getWorkload(stack, 'broken');
      return condition(x, 'Stalled')?.status === 'True' ? x : undefined;
    });
    expect(condition(w, 'Ready')).toMatchObject({ status: 'False', reason: 'InterfaceNotGranted' });
    expect(condition(w, 'Ready')?.message).toMatch(/host host-[ab]: .*wasi:keyvalue\/store/);
    expect(w.status.placements[0]).toMatchObject({ state: 'Failed', reason: 'InterfaceNotGranted' });
    const events = await stack.cluster.kubectl('get', 'events.events.k8s.io', '-n', stack.namespace, '-o', 'json');
    const reasons = JSON.parse(events.stdout)
      .items.filter((e: { regarding: { name: string } }) => e.regarding.name === 'broken')
      .map((e: { reason: string }) => e.reason);
    expect(reasons).toContain('InterfaceNotGranted');
    // Terminal: more reconciles (metadata changes) send no more starts to any host.
    const failures = () =>
      hosts.map((h) => (h.run.output().match(/workload failed to start/g) ?? []).length).reduce((a, b) => a + b, 0);
    const before = failures();
    const reconciles = async () => {
      const t = await (await fetch(`http://127.0.0.1:${op.operator.ports().metrics}/metrics`)).text();
      return Number(/skiff_operator_reconciles_total\{kind="Workload",result="ok"\} (\d+)/.exec(t)?.[1] ?? 0);
    };
    const start = await reconciles();
    for (const n of [1, 2, 3]) {
      await stack.cluster.http.send(
        'PATCH',
        `/apis/runtime.skiff.dev/v1alpha1/namespaces/${stack.namespace}/workloads/broken`,
        { metadata: { annotations: { poke: String(n) } } },
        'application/merge-patch+json',
      );
    }
    await waitFor('three more reconciles', async () => ((await reconciles()) >= start + 3 ? true : undefined));
    expect(failures()).toBe(before);
  });

  it('says what is missing when no host fits', async () => {
    const image = await stack.image('hello-js');
    await applyWorkload(
      stack,
      helloWorkload(stack.namespace, 'picky', image, {
        hostInterfaces: [{ namespace: 'wasi', package: 'blobstore', interfaces: ['blobstore'], version: '9.9.9' }],
      }),
    );
    const w = await waitFor('picky unscheduled', async () => {
      const x = await getWorkload(stack, 'picky');
      return condition(x, 'Scheduled')?.status === 'False' ? x : undefined;
    });
    expect(condition(w, 'Scheduled')?.reason).toBe('NoMatchingHosts');
    expect(condition(w, 'Scheduled')?.message).toContain('wasi:blobstore/blobstore@9.9.9');
    expect(condition(w, 'Ready')).toMatchObject({ status: 'False', reason: 'NoMatchingHosts' });
  });

  it('serves /readyz and metrics: live hosts, workloads by condition, leadership, reconciles', async () => {
    const { health, metrics } = op.operator.ports();
    expect((await fetch(`http://127.0.0.1:${health}/readyz`)).status).toBe(200);
    const text = await waitFor('workload condition counts', async () => {
      const t = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
      return /skiff_operator_workloads\{condition="Ready",status="False"\} [1-9]/.test(t) ? t : undefined;
    });
    expect(text).toMatch(/skiff_operator_live_hosts 2/);
    expect(text).toMatch(/skiff_operator_leader 1/);
    expect(text).toMatch(/skiff_operator_reconciles_total\{kind="Workload",result="ok"\} [1-9]/);
  });

  it('writes Host objects that kubectl get hosts shows', async () => {
    const out = await waitFor('two hosts listed', async () => {
      const r = await stack.cluster.kubectl('get', 'hosts', '-n', stack.namespace);
      return /host-a/.test(r.stdout) && /host-b/.test(r.stdout) ? r.stdout : undefined;
    });
    expect(out).toMatch(/NAME\s+POD\s+WORKLOADS\s+CAPACITY\s+READY\s+CORDONED\s+LABELS\s+AGE/);
    expect(out).toMatch(/host-a\s+.*True\s+false\s+zone=a/);
  });

  it('deletes: stops everywhere, then the finalizer lets the object go', async () => {
    for (const name of ['hello', 'broken', 'picky']) await deleteWorkload(stack, name);
    await waitFor('workloads gone', async () => {
      for (const name of ['hello', 'broken', 'picky']) if (await getWorkload(stack, name)) return undefined;
      return true;
    });
    expect(await hostsRunning(`hello.${stack.namespace}.test`)).toEqual([]);
    const hostsLeft = op.operator.registry.hosts().flatMap((h) => [...h.reports.keys()]);
    expect(hostsLeft).toEqual([]);
  });
});
