/**
 * Operator drills, all against real processes: a host SIGKILLed, nats-server restarted
 * mid-traffic, the leading operator SIGKILLed, the API watch cut, and 50 Workloads applied
 * and deleted at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeFor, serverAddress, TcpProxy } from '../k8s/kube/proxy.js';
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
  startOperatorProcess,
  startStack,
  waitFor,
  waitReady,
} from './stack.js';

let stack: Stack;
let hosts: HostProcess[] = [];

beforeAll(async () => {
  stack = await startStack('drill');
  hosts = await Promise.all(['d-a', 'd-b', 'd-c'].map((id) => startHost(stack, id)));
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.run.stop()));
  await stack?.stop();
});

const starts = (h: HostProcess, name: string) =>
  h.run
    .output()
    .split('\n')
    .filter((l) => l.includes('"workload started"') && l.includes(`/${name}"`)).length;
const stops = (h: HostProcess) => (h.run.output().match(/"workload stopped"/g) ?? []).length;
const vhost = (name: string) => `${name}.${stack.namespace}.test`;

async function servingOn(name: string): Promise<string[]> {
  const out: string[] = [];
  for (const h of hosts) {
    if (h.run.child.exitCode !== null || h.run.child.signalCode !== null) continue;
    const res = await h.get(vhost(name)).catch(() => ({ status: 0 }));
    if (res.status === 200) out.push(h.id);
  }
  return out;
}

describe('operator drills', () => {
  let op: InProcessOperator;

  beforeAll(async () => {
    op = await startOperator(stack, 'drill-op');
  });
  afterAll(async () => {
    await op?.stop();
  });

  it('a SIGKILLed host: its workload is Ready and serving on another host within seconds', async () => {
    const image = await stack.image('hello-js');
    await applyWorkload(stack, helloWorkload(stack.namespace, 'survivor', image));
    const w = await waitReady(stack, 'survivor');
    const victim = hosts.find((h) => h.id === w.status.placements[0].host)!;
    victim.run.child.kill('SIGKILL');
    await victim.run.exited;
    const moved = await waitFor(
      'survivor serving elsewhere',
      async () => {
        const on = await servingOn('survivor');
        return on.length === 1 && on[0] !== victim.id ? on[0] : undefined;
      },
      20_000,
    );
    const after = await waitReady(stack, 'survivor');
    expect(after.status.placements.map((p: { host: string }) => p.host)).toEqual([moved]);
    // bring the killed host back for the drills that follow
    hosts[hosts.indexOf(victim)] = await startHost(stack, victim.id);
  });

  it('nats-server restarted mid-traffic: nothing is deleted or stopped, status converges', async () => {
    const image = await stack.image('hello-js');
    await applyWorkload(stack, helloWorkload(stack.namespace, 'steady', image, { replicas: 2 }));
    await waitReady(stack, 'steady');
    const stopsBefore = hosts.map(stops);
    await stack.nats.down();
    // While NATS is down, hosts keep serving and the operator touches nothing.
    expect((await servingOn('steady')).length).toBe(2);
    await stack.nats.up();
    const back = new Date().toISOString();
    await waitFor(
      'a heartbeat from every host after the restart',
      async () =>
        op.operator.registry.hosts().filter((h) => h.heartbeat.sentAt > back).length === 3 ? true : undefined,
      30_000,
    );
    const w = await waitReady(stack, 'steady');
    expect(w.status.readyReplicas).toBe(2);
    expect(await getWorkload(stack, 'steady')).toBeDefined();
    expect(hosts.map(stops)).toEqual(stopsBefore);
    expect((await servingOn('steady')).length).toBe(2);
  });

  it('the watch cut: a change made while the operator cannot reach the API server is reconciled', async () => {
    await op.stop();
    const proxy = new TcpProxy(serverAddress(stack.cluster.info.credentials.server));
    await proxy.start();
    const cut = await startOperator(stack, 'cut-op', {}, kubeFor(stack.cluster.info.kubeconfig, proxy.port));
    try {
      await waitFor(
        'the cut operator to lead and know every host',
        async () => (cut.operator.isLeader && cut.operator.registry.hosts().length === 3 ? true : undefined),
        30_000,
      );
      await waitReady(stack, 'steady');
      await proxy.pause();
      const image = await stack.image('hello-js');
      await applyWorkload(stack, helloWorkload(stack.namespace, 'steady', image, { replicas: 1 }));
      await proxy.resume();
      await waitFor(
        'steady scaled to 1 through the restored watch',
        async () => {
          const w = await getWorkload(stack, 'steady');
          return w?.status?.observedGeneration === w?.metadata.generation && w?.status?.readyReplicas === 1
            ? true
            : undefined;
        },
        60_000,
      );
      // The replica scaled away drains (serves, closing connections) for the grace period, then stops.
      await waitFor('steady served by one host', async () =>
        (await servingOn('steady')).length === 1 ? true : undefined,
      );
    } finally {
      await cut.stop();
      await proxy.pause();
      op = await startOperator(stack, 'drill-op');
    }
  });

  it('50 Workloads applied at once, then all deleted: every host ends empty', async () => {
    const image = await stack.image('hello-js');
    const names = Array.from({ length: 50 }, (_, i) => `bulk-${i}`);
    await Promise.all(names.map((n) => applyWorkload(stack, helloWorkload(stack.namespace, n, image))));
    await waitFor(
      '50 Ready',
      async () => {
        for (const n of names) if (condition(await getWorkload(stack, n), 'Ready')?.status !== 'True') return undefined;
        return true;
      },
      120_000,
    );
    await Promise.all([...names, 'survivor', 'steady'].map((n) => deleteWorkload(stack, n)));
    await waitFor(
      'every host empty',
      async () => {
        const left = op.operator.registry.hosts().flatMap((h) => [...h.reports.keys()]);
        return left.length === 0 ? true : undefined;
      },
      120_000,
    );
    await waitFor(
      'every Workload object gone (finalizers removed)',
      async () => {
        for (const n of names) if (await getWorkload(stack, n)) return undefined;
        return true;
      },
      60_000,
    );
  });
});

describe('leader election between two operator processes', () => {
  it('killing the leader hands over without a duplicate start, and status converges', async () => {
    const first = startOperatorProcess(stack, 'leader-1');
    const second = startOperatorProcess(stack, 'leader-2');
    try {
      await Promise.all([first.waitFor(/started/), second.waitFor(/started/)]);
      const holder = await waitFor(
        'a leader',
        async () => {
          const r = await stack.cluster.kubectl(
            'get',
            'lease',
            'skiff-operator',
            '-n',
            stack.namespace,
            '-o',
            'jsonpath={.spec.holderIdentity}',
          );
          return r.code === 0 && r.stdout ? r.stdout : undefined;
        },
        40_000,
      );
      const image = await stack.image('hello-js');
      await applyWorkload(stack, helloWorkload(stack.namespace, 'ha', image));
      await waitReady(stack, 'ha');
      const [leader, follower] = holder === 'leader-1' ? [first, second] : [second, first];
      leader.child.kill('SIGKILL');
      await leader.exited;
      await applyWorkload(stack, helloWorkload(stack.namespace, 'ha2', image));
      await waitReady(stack, 'ha2', 60_000);
      const newHolder = await stack.cluster.kubectl(
        'get',
        'lease',
        'skiff-operator',
        '-n',
        stack.namespace,
        '-o',
        'jsonpath={.spec.holderIdentity}',
      );
      expect(newHolder.stdout).toBe(holder === 'leader-1' ? 'leader-2' : 'leader-1');
      expect(follower.child.exitCode).toBeNull();
      for (const name of ['ha', 'ha2']) {
        expect(hosts.map((h) => starts(h, name)).reduce((a, b) => a + b, 0)).toBe(1);
      }
      expect(condition(await getWorkload(stack, 'ha'), 'Ready')?.status).toBe('True');
      await Promise.all(['ha', 'ha2'].map((n) => deleteWorkload(stack, n)));
      await waitFor(
        'ha workloads gone',
        async () => ((await getWorkload(stack, 'ha')) || (await getWorkload(stack, 'ha2')) ? undefined : true),
        60_000,
      );
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
