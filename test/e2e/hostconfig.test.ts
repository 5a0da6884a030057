/**
 * HostConfig → host pods on the real cluster, through the installed operator: two replicas
 * become two Ready pods and two Hosts; an HTTP Workload gets a Service and an EndpointSlice
 * and answers through it; a deleted host pod moves its Workload to the other host; an image
 * change replaces the hosts while keep-alive clients send requests through the Service without
 * one failing; a deleted Workload takes its Service and EndpointSlice with it.
 */
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../support/fixtures.js';
import { KeepAliveLoad } from '../support/keepalive.js';
import {
  conditionOf,
  type E2e,
  e2eSuite,
  GROUP_PATH,
  get,
  helloWorkload,
  type Placement,
  pushComponent,
  waitFor,
  waitWorkload,
} from './cluster.js';

const HC_LABEL = 'runtime.skiff.dev/hostconfig';
/** image is the hello component in the cluster registry, which host pods reach by its address. */
const image = (e2e: E2e) => `${e2e.info.registry}/e2e/hello-c:1`;

// biome-ignore lint/suspicious/noExplicitAny: API JSON, asserted on below.
type Obj = any;

async function list(e2e: E2e, path: string): Promise<Obj[]> {
  const res = await e2e.http.send('GET', path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text.slice(0, 200)}`);
  return res.body.items;
}

function podReady(pod: Obj): boolean {
  return !pod.metadata.deletionTimestamp && conditionOf(pod, 'Ready')?.status === 'True';
}

/** hostPods lists the HostConfig's pods that are not being deleted. */
async function hostPods(e2e: E2e, ns: string): Promise<Obj[]> {
  const pods = await list(
    e2e,
    `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(`${HC_LABEL}=hosts`)}`,
  );
  return pods.filter((p) => !p.metadata.deletionTimestamp);
}

/** settledPods returns the HostConfig's pods when `n` hosts are ready, all on the current template, none old. */
async function settledPods(e2e: E2e, ns: string, n: number): Promise<Obj[] | undefined> {
  const hc = (await e2e.http.send('GET', `${GROUP_PATH}/namespaces/${ns}/hostconfigs/hosts`)).body;
  const s = hc?.status ?? {};
  const pods = await hostPods(e2e, ns);
  const settled =
    s.observedGeneration === hc.metadata.generation &&
    s.readyReplicas === n &&
    s.updatedReplicas === n &&
    pods.length === n &&
    pods.every(podReady);
  return settled ? pods : undefined;
}

/** waitHostConfigSettled waits for settledPods; a timeout reports the last status. */
async function waitHostConfigSettled(e2e: E2e, ns: string, n: number, timeoutMs = 180_000): Promise<Obj[]> {
  return waitFor(
    `HostConfig hosts: ${n} pods Ready and ${n} hosts ready`,
    () => settledPods(e2e, ns, n),
    timeoutMs,
  ).catch(async (err: Error) => {
    const hc = (await e2e.http.send('GET', `${GROUP_PATH}/namespaces/${ns}/hostconfigs/hosts`)).body;
    throw new Error(`${err.message}; last status: ${JSON.stringify(hc?.status)}`);
  });
}

function runningHosts(wl: Obj): string[] {
  return ((wl.status?.placements ?? []) as Placement[])
    .filter((p) => p.state === 'Running')
    .map((p) => p.host)
    .sort();
}

describe('HostConfig on a real cluster', () => {
  const s = e2eSuite('e2e-hc');
  let clusterIp = '';
  const hostname = () => `hello.${s.ns}`;

  it('turns 2 replicas into 2 Ready host pods and 2 Hosts', async () => {
    const { e2e, ns } = s;
    const hc = {
      apiVersion: 'runtime.skiff.dev/v1alpha1',
      kind: 'HostConfig',
      metadata: { name: 'hosts', namespace: ns },
      // The cluster registry speaks plain HTTP: the hosts are told so (--insecure-registry).
      spec: { replicas: 2, labels: { 'e2e-group': ns }, insecureRegistries: [e2e.info.registry] },
    };
    await e2e.kubectl(['apply', '-f', '-'], JSON.stringify(hc));
    const pods = await waitHostConfigSettled(e2e, ns, 2);
    for (const pod of pods) {
      expect(pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'HostConfig', name: 'hosts', controller: true });
      expect(pod.spec.automountServiceAccountToken).toBe(false);
      // One container: the host pulls from the cluster registry itself (no forwarder beside it).
      expect(pod.spec.containers.map((c: Obj) => c.name)).toEqual(['host']);
      expect(pod.spec.containers[0].image).toBe(e2e.info.images.skiff);
      expect(pod.spec.containers[0].args).toEqual(expect.arrayContaining(['--insecure-registry', e2e.info.registry]));
    }
    const names = pods.map((p) => p.metadata.name).sort();
    await waitFor('2 Hosts Ready, one per pod', async () => {
      const hosts = await list(e2e, `${GROUP_PATH}/namespaces/${ns}/hosts`);
      const ready = hosts.filter((h) => conditionOf(h, 'Ready')?.status === 'True').map((h) => h.status?.podName);
      return JSON.stringify(ready.sort()) === JSON.stringify(names) ? true : undefined;
    });
  });

  it('routes an HTTP Workload through its Service and EndpointSlice, by IP and by name', async () => {
    const { e2e, ns } = s;
    await pushComponent(e2e, await fixturePath('hello-c'), 'e2e/hello-c:1');
    const workload = { ...helloWorkload(ns, 'hello', image(e2e), hostname()) };
    workload.spec = { ...workload.spec, replicas: 2 } as typeof workload.spec;
    await e2e.kubectl(['apply', '-f', '-'], JSON.stringify(workload));
    const ready = await waitWorkload(e2e, ns, 'hello', 'Ready with 2 replicas', (wl) => runningHosts(wl).length === 2);
    const podIps = (await hostPods(e2e, ns)).map((p) => p.status.podIP).sort();
    expect(runningHosts(ready)).toHaveLength(2);

    const slices = await waitFor('an EndpointSlice listing both host pods', async () => {
      const items = await list(
        e2e,
        `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dhello`,
      );
      const ips = items.flatMap((sl) => sl.endpoints.flatMap((ep: Obj) => ep.addresses)).sort();
      return JSON.stringify(ips) === JSON.stringify(podIps) ? items : undefined;
    });
    expect(slices.length).toBeGreaterThan(0);
    const service = (await e2e.http.send('GET', `/api/v1/namespaces/${ns}/services/hello`)).body;
    clusterIp = service.spec.clusterIP;
    const answer = await waitFor('an answer through the Service', async () => {
      const a = await get(clusterIp, 80, hostname());
      return a.status === 200 ? a : undefined;
    });
    expect(answer.body).toBe('hello from skiff');

    // From a pod, by the Service's DNS name, with the Host header curl would send.
    const pod = (await hostPods(e2e, ns))[0].metadata.name;
    const client = [
      "const http = require('node:http');",
      `http.get({ host: 'hello.${ns}.svc', port: 80, timeout: 5000 }, (res) => {`,
      "  let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => console.log(res.statusCode, body));",
      "}).on('error', (err) => { console.log('error', err.message); process.exitCode = 1; });",
    ].join('\n');
    const fromPod = await e2e.kubectl(['-n', ns, 'exec', pod, '-c', 'host', '--', 'node', '-e', client]);
    expect(fromPod.trim()).toBe('200 hello from skiff');
  });

  it('moves a Workload off a deleted host pod onto the other host', async () => {
    const { e2e, ns } = s;
    const solo = helloWorkload(ns, 'solo', image(e2e), `solo.${ns}`);
    await e2e.kubectl(['apply', '-f', '-'], JSON.stringify(solo));
    const before = runningHosts(await waitWorkload(e2e, ns, 'solo'));
    expect(before).toHaveLength(1);
    const pods = await hostPods(e2e, ns);
    const victim = before[0]!;
    const other = pods.map((p) => p.metadata.name).find((n) => n !== victim)!;
    await e2e.kubectl(['-n', ns, 'delete', 'pod', victim, '--wait=false']);
    const moved = await waitWorkload(
      e2e,
      ns,
      'solo',
      `Ready on ${other}`,
      (wl) => conditionOf(wl, 'Ready')?.status === 'True' && runningHosts(wl).join() === other,
      30_000,
    );
    expect(runningHosts(moved)).toEqual([other]);
    const ip = pods.find((p) => p.metadata.name === other).status.podIP;
    expect(await get(ip, 8080, `solo.${ns}`)).toEqual({ status: 200, body: 'hello from skiff' });
    await e2e.kubectl(['-n', ns, 'delete', 'workload', 'solo']);
    await waitHostConfigSettled(e2e, ns, 2);
  });

  it('replaces the hosts on an image change while requests through the Service all succeed', async () => {
    const { e2e, ns } = s;
    await waitWorkload(e2e, ns, 'hello', 'Ready with 2 replicas', (wl) => runningHosts(wl).length === 2);
    const oldPods = (await hostPods(e2e, ns)).map((p) => p.metadata.name);
    const started = Date.now();
    const at = () => `+${((Date.now() - started) / 1000).toFixed(2)}s`;
    let stop = false;
    // Clients that keep their connections (node:http Agent keepAlive) through the Service until
    // the rollout ends (≤ 5 min): kube-proxy keeps each connection with the pod it chose, so
    // only the draining hosts' `Connection: close` moves them (ADR 0012, Revision 2).
    const load = new KeepAliveLoad({ address: clusterIp, port: 80, vhost: hostname() }, { concurrency: 2 });
    load.start();
    // What the Service routed to, over time, and which pod had which address: for the failure message.
    const routes: string[] = [];
    const pods = new Map<string, string>();
    const watcher = (async () => {
      let previous = '';
      while (!stop) {
        const slices = await list(
          e2e,
          `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dhello`,
        ).catch(() => []);
        const now = slices
          .flatMap((sl) =>
            sl.endpoints.map((ep: Obj) => `${ep.addresses[0]}${ep.conditions?.ready ? '' : '(not ready)'}`),
          )
          .sort()
          .join(' ');
        if (now !== previous) routes.push(`${at()} ${now || '(none)'}`);
        previous = now;
        for (const p of await hostPods(e2e, ns).catch(() => []))
          if (p.status.podIP) pods.set(p.metadata.name, p.status.podIP);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const patch = JSON.stringify({ spec: { image: e2e.info.images.skiffNext } });
    await e2e.kubectl(['-n', ns, 'patch', 'hostconfig', 'hosts', '--type=merge', '-p', patch]);
    try {
      const pods = await waitFor(
        'every host pod replaced',
        async () => {
          const now = await settledPods(e2e, ns, 2);
          return now?.every((p) => !oldPods.includes(p.metadata.name)) ? now : undefined;
        },
        240_000,
      );
      for (const pod of pods) {
        expect(pod.spec.containers.find((c: Obj) => c.name === 'host').image).toBe(e2e.info.images.skiffNext);
      }
      await waitWorkload(e2e, ns, 'hello', 'Ready with 2 replicas', (wl) => runningHosts(wl).length === 2);
    } finally {
      stop = true;
      await watcher;
      await load.stop();
    }
    const report = await load.stop();
    const { failures, sent } = report;
    expect(sent).toBeGreaterThan(20);
    const story = [
      `${failures.length} of ${sent} requests failed on ${report.connections} kept-alive connections ` +
        `(${report.closedByServer} answers with Connection: close); first: ${failures.slice(0, 3).join(' | ')}; ` +
        `last: ${failures.at(-1)}`,
      `endpoints over time: ${routes.join('; ')}`,
      `pods: ${[...pods].map(([n, ip]) => `${n}=${ip}`).join(' ')}`,
    ].join('\n');
    process.stderr.write(`e2e keep-alive replacement: ${story.split('\n')[0]}\n`);
    expect(failures.length, story).toBe(0);
  });

  it('removes the Service and EndpointSlice with the Workload', async () => {
    const { e2e, ns } = s;
    expect((await e2e.http.send('GET', `/api/v1/namespaces/${ns}/services/hello`)).status).toBe(200);
    await e2e.kubectl(['-n', ns, 'delete', 'workload', 'hello']);
    await waitFor('the Service and EndpointSlices of hello gone', async () => {
      const svc = await e2e.http.send('GET', `/api/v1/namespaces/${ns}/services/hello`);
      const slices = await list(
        e2e,
        `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dhello`,
      );
      return svc.status === 404 && slices.length === 0 ? true : undefined;
    });
  });
});
