/**
 * HostConfig → host pods, on the real API server with real `skiff host` processes standing in
 * for the containers (LocalKubelet): pods with the restricted template, Hosts from their
 * heartbeats, a Service and EndpointSlice per HTTP Workload, replacement without a failed
 * request, a deleted pod's host lost at once, scale down by drain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourcePath } from '../k8s/cluster.js';
import { hostConfigReady as hc, hostPods, type PodStack, startPodStack } from './pods.js';
import {
  applyHostConfig,
  applyWorkload,
  condition,
  deleteWorkload,
  getWorkload,
  helloWorkload,
  httpGet,
  type Manifest,
  type Stack,
  waitFor,
  waitReady,
} from './stack.js';

let bench: PodStack;
let stack: Stack;
let ip: string;

beforeAll(async () => {
  bench = await startPodStack('ophc', 'hc-op');
  ({ stack, ip } = bench);
});

afterAll(async () => {
  await bench?.stop();
});

const api = (path: string) => stack.cluster.http.send('GET', path).then((r) => r.body as Manifest);
const pods = () => hostPods(stack);
const hostConfigReady = (replicas: number) => hc(stack, replicas, 90_000);

/** endpoints reads the Workload's EndpointSlices as ip:port pairs, the way kube-proxy would. */
async function endpoints(name: string): Promise<string[]> {
  const list = await api(
    `/apis/discovery.k8s.io/v1/namespaces/${stack.namespace}/endpointslices?labelSelector=kubernetes.io/service-name=${name}`,
  );
  return (list.items ?? []).flatMap((s: Manifest) =>
    (s.endpoints ?? [])
      .filter((e: Manifest) => e.conditions?.ready)
      .flatMap((e: Manifest) => e.addresses.map((a: string) => `${a}:${s.ports[0].port}`)),
  );
}

describe('HostConfig → host pods', () => {
  it('creates restricted host pods that become Hosts', async () => {
    await applyHostConfig(stack, { replicas: 2, labels: { tier: 'web' } });
    const hc = await hostConfigReady(2);
    expect(hc.status.selector).toBe('runtime.skiff.dev/hostconfig=hosts');
    const list = await pods();
    expect(list).toHaveLength(2);
    const pod = list[0] as Manifest;
    expect(pod.metadata.ownerReferences[0]).toMatchObject({ kind: 'HostConfig', name: 'hosts', controller: true });
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.spec.containers[0].securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.spec.containers[0].image).toBe('skiff:test');
    expect(pod.spec.containers[0].args).toEqual(
      expect.arrayContaining(['--label', 'tier=web', '--nats', stack.nats.url]),
    );
    const hosts = await waitFor('two Host objects owned by their pods', async () => {
      const l = await api(resourcePath('hosts', stack.namespace));
      return l.items?.length === 2 ? l.items : undefined;
    });
    expect(hosts.map((h: Manifest) => h.metadata.ownerReferences?.[0]?.kind)).toEqual(['Pod', 'Pod']);
    expect(hosts[0].status).toMatchObject({ podNamespace: stack.namespace, podIP: ip, cordoned: false });
  });

  it('gives an HTTP Workload a Service and an EndpointSlice of the hosts that serve it', async () => {
    const image = await stack.image('hello-js');
    await applyWorkload(stack, helloWorkload(stack.namespace, 'web', image, { replicas: 2 }));
    await waitReady(stack, 'web');
    const svc = await api(`/api/v1/namespaces/${stack.namespace}/services/web`);
    expect(svc.spec.ports[0]).toMatchObject({ name: 'http', port: 80 });
    const eps = await waitFor('two endpoints', async () =>
      (await endpoints('web')).length === 2 ? endpoints('web') : undefined,
    );
    for (const ep of eps) {
      const [host, port] = ep.split(':');
      expect(host).toBe(ip);
      // Hosts answer to the Service's names too.
      const res = await httpGet(Number(port), `web.${stack.namespace}.svc.cluster.local`, '/', host);
      expect(res.status).toBe(200);
    }
  });

  it('replaces every host pod after a template change without a failed request', async () => {
    const before = (await pods()).map((p) => p.metadata.name);
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    let current: string[] = await endpoints('web');
    const refresher = (async () => {
      while (!stop) {
        current = await endpoints('web').catch(() => current);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const client = (async () => {
      let i = 0;
      while (!stop) {
        const ep = current[i++ % Math.max(1, current.length)];
        if (!ep) {
          failures.push('no endpoints');
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        const [host, port] = ep.split(':');
        const res = await httpGet(Number(port), `web.${stack.namespace}.svc`, '/', host).catch((e: Error) => ({
          status: 0,
          text: e.message,
        }));
        if (res.status === 200) ok++;
        else failures.push(`${ep} → ${res.status} ${res.text.slice(0, 80)}`);
      }
    })();
    await applyHostConfig(stack, { replicas: 2, labels: { tier: 'web', rev: '2' } });
    await waitFor(
      'every pod replaced',
      async () => {
        const now = (await pods()).map((p) => p.metadata.name);
        return now.length === 2 && now.every((n) => !before.includes(n)) ? true : undefined;
      },
      180_000,
    );
    await hostConfigReady(2);
    await waitReady(stack, 'web');
    stop = true;
    await Promise.all([client, refresher]);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(10);
    const w = await getWorkload(stack, 'web');
    const after = (await pods()).map((p) => p.metadata.name);
    expect(w?.status.placements.map((p: Manifest) => p.host).sort()).toEqual(after.sort());
  });

  it('loses the host of a deleted pod at once and reschedules its replica', async () => {
    await applyHostConfig(stack, { replicas: 3, labels: { tier: 'web', rev: '2' } });
    await hostConfigReady(3);
    const w = await waitReady(stack, 'web');
    const victim = w.status.placements[0].host as string;
    await stack.cluster.http.send('DELETE', `/api/v1/namespaces/${stack.namespace}/pods/${victim}`);
    const moved = await waitFor(
      'replica moved off the deleted pod',
      async () => {
        const x = await getWorkload(stack, 'web');
        const hosts = (x?.status?.placements ?? [])
          .filter((p: Manifest) => p.state === 'Running')
          .map((p: Manifest) => p.host);
        return hosts.length === 2 && !hosts.includes(victim) && condition(x, 'Ready')?.status === 'True'
          ? x
          : undefined;
      },
      30_000,
    );
    expect(moved.status.readyReplicas).toBe(2);
  });

  it('scales down by draining, and a deleted Workload takes its Service and EndpointSlice along', async () => {
    const scaled = await stack.cluster.kubectl('scale', 'hc/hosts', '-n', stack.namespace, '--replicas=2');
    expect(scaled.code, scaled.stderr).toBe(0);
    await hostConfigReady(2);
    await waitReady(stack, 'web');
    await deleteWorkload(stack, 'web');
    await waitFor('web gone', async () => ((await getWorkload(stack, 'web')) ? undefined : true));
    const svc = await stack.cluster.http.send('GET', `/api/v1/namespaces/${stack.namespace}/services/web`);
    expect(svc.status).toBe(404);
    expect(await endpoints('web')).toEqual([]);
  });
});
