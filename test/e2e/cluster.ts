/**
 * Access to the e2e cluster for the tests in this folder: kubectl, the API, fresh namespaces
 * (Pod Security "restricted"), manifests from tools/cluster/manifests, pushing a fixture to
 * the cluster's registry, and plain HTTP with a Host header to pod and Service addresses.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { type ClusterInfo, HOST_SERVICE_ACCOUNT, renderManifest } from '../../tools/cluster/index.js';
import { run } from '../../tools/cluster/sh.js';
import { KubeHttp } from '../../tools/testenv/index.js';
import { ROOT, waitFor } from '../k8s/cluster.js';
import { runCli } from '../support/cli.js';

export { ROOT, waitFor };

/** E2e is a connection to the running cluster. */
export type E2e = {
  info: ClusterInfo;
  http: KubeHttp;
  /** kubectl runs kubectl and resolves with stdout; a failure rejects with its stderr. */
  kubectl: (args: readonly string[], input?: string) => Promise<string>;
  close: () => void;
};

/** connectCluster returns the cluster the global setup started, or throws why there is none. */
export function connectCluster(): E2e {
  const provided = inject('skiffCluster');
  if (!provided.info) throw new Error(provided.error ?? 'no e2e cluster was provided (run through the e2e project)');
  const info = provided.info;
  const http = new KubeHttp(info.credentials);
  const kubectl = (args: readonly string[], input?: string) =>
    run(join(info.binDir, 'kubectl'), ['--kubeconfig', info.kubeconfig, ...args], { timeoutMs: 60_000, input });
  return { info, http, kubectl, close: () => http.close() };
}

/**
 * createNamespace makes a fresh namespace enforcing Pod Security "restricted", with the
 * chart's host ServiceAccount (as the chart's README says for HostConfigs in other
 * namespaces), and waits for its default ServiceAccount.
 */
export async function createNamespace(e2e: E2e, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const ns = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
  };
  await e2e.kubectl(['apply', '-f', '-'], JSON.stringify(ns));
  const sa = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: HOST_SERVICE_ACCOUNT, namespace: name },
    automountServiceAccountToken: false,
  };
  await e2e.kubectl(['apply', '-f', '-'], JSON.stringify(sa));
  await waitFor(`default ServiceAccount in ${name}`, async () => {
    const res = await e2e.http.send('GET', `/api/v1/namespaces/${name}/serviceaccounts/default`);
    return res.status === 200 ? true : undefined;
  });
  return name;
}

/** E2eContext is what e2eSuite fills in before each test. */
export type E2eContext = { e2e: E2e; ns: string };

/**
 * e2eSuite connects to the cluster once per file and makes a fresh namespace for it; when
 * there is no cluster, each test fails with the reason (so each counts as failed, not skipped).
 */
export function e2eSuite(prefix: string): E2eContext {
  const ctx = {} as E2eContext;
  let unavailable: unknown;
  beforeAll(async () => {
    try {
      ctx.e2e = connectCluster();
      ctx.ns = await createNamespace(ctx.e2e, prefix);
    } catch (err) {
      unavailable = err;
    }
  });
  beforeEach(() => {
    if (unavailable) throw unavailable;
  });
  afterAll(async () => {
    if (ctx.ns) await ctx.e2e.kubectl(['delete', 'namespace', ctx.ns, '--wait=false']).catch(() => undefined);
    ctx.e2e?.close();
  });
  return ctx;
}

/**
 * startHostPod applies tools/cluster/manifests/host.yaml as pod `name` in `namespace`; the
 * host carries the label `e2e-group=GROUP` (default: the namespace) for Workloads to select.
 */
export async function startHostPod(e2e: E2e, namespace: string, name: string, group = namespace): Promise<void> {
  const values = {
    name,
    namespace,
    group,
    skiffImage: e2e.info.images.skiff ?? '',
    natsUrl: e2e.info.natsUrl,
    registry: e2e.info.registry,
  };
  await e2e.kubectl(['apply', '-f', '-'], await renderManifest(ROOT, 'host.yaml', values));
}

/** pushComponent publishes a .wasm to the cluster registry with `skiff push --insecure` and returns its reference there. */
export async function pushComponent(e2e: E2e, file: string, repository: string): Promise<string> {
  const ref = `${e2e.info.registry}/${repository}`;
  const push = runCli(['push', file, ref, '--insecure']);
  const code = await push.exited;
  if (code !== 0) throw new Error(`skiff push exited ${code}: ${push.output()}`);
  return ref;
}

/** HttpAnswer is a status and body. */
export type HttpAnswer = Readonly<{ status: number; body: string }>;

/**
 * get sends GET http://ADDRESS:PORT/ with a Host header and resolves with the answer (bounded
 * in time and size). Each request opens its own connection, like `curl` in a loop: a
 * kept-alive connection to a Service stays with the pod it was first routed to.
 */
export function get(address: string, port: number, host: string, path = '/'): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, headers: { host }, timeout: 5_000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 64 * 1024) body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${address}:${port}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** podIp waits until a pod has an IP and is Ready, and returns the IP. */
export async function readyPodIp(e2e: E2e, namespace: string, name: string, timeoutMs = 90_000): Promise<string> {
  return waitFor(
    `pod ${namespace}/${name} Ready`,
    async () => {
      const pod = (await e2e.http.send('GET', `/api/v1/namespaces/${namespace}/pods/${name}`)).body;
      const ready = (pod?.status?.conditions ?? []).some(
        (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
      );
      return ready && pod.status.podIP ? (pod.status.podIP as string) : undefined;
    },
    timeoutMs,
  );
}

/** GROUP_PATH is the API path prefix of Skiff resources. */
export const GROUP_PATH = '/apis/runtime.skiff.dev/v1alpha1';

/** Condition is a status condition as the API returns it. */
export type Condition = { type: string; status: string; reason?: string; message?: string };

/** conditionOf returns the condition of `type` in an object's status, if any. */
export function conditionOf(obj: { status?: { conditions?: Condition[] } }, type: string): Condition | undefined {
  return obj?.status?.conditions?.find((c) => c.type === type);
}

/** waitHostsReady waits until each named Host in `namespace` reports Ready. */
export async function waitHostsReady(e2e: E2e, namespace: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await waitFor(`Host ${namespace}/${name} Ready`, async () => {
      const host = (await e2e.http.send('GET', `${GROUP_PATH}/namespaces/${namespace}/hosts/${name}`)).body;
      return conditionOf(host, 'Ready')?.status === 'True' ? true : undefined;
    });
  }
}

/** helloWorkload is a Workload running one HTTP component for `hostname` on hosts of `group`. */
export function helloWorkload(namespace: string, name: string, image: string, hostname: string, group = namespace) {
  return {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name, namespace },
    spec: {
      hostSelector: { 'e2e-group': group },
      components: [{ name: 'hello', image }],
      hostInterfaces: [
        {
          namespace: 'wasi',
          package: 'http',
          interfaces: ['incoming-handler'],
          version: '0.2.0',
          config: { host: hostname },
        },
      ],
    },
  };
}

/** Placement is one entry of a Workload's status.placements. */
export type Placement = { host: string; state: string; generation?: number };

/**
 * waitWorkload polls a Workload until `accept` returns true for it (Ready by default) and
 * returns it; on timeout the error carries its last Ready condition and placements.
 */
export async function waitWorkload(
  e2e: E2e,
  namespace: string,
  name: string,
  what = 'Ready',
  // biome-ignore lint/suspicious/noExplicitAny: API JSON, asserted on by the caller.
  accept: (wl: any) => boolean = (wl) => conditionOf(wl, 'Ready')?.status === 'True',
  timeoutMs = 90_000,
  // biome-ignore lint/suspicious/noExplicitAny: API JSON, asserted on by the caller.
): Promise<any> {
  // biome-ignore lint/suspicious/noExplicitAny: API JSON.
  let last: any;
  return waitFor(
    `Workload ${namespace}/${name} ${what}`,
    async () => {
      last = (await e2e.http.send('GET', `${GROUP_PATH}/namespaces/${namespace}/workloads/${name}`)).body;
      return accept(last) ? last : undefined;
    },
    timeoutMs,
  ).catch((err: Error) => {
    const detail = { ready: conditionOf(last, 'Ready'), placements: last?.status?.placements };
    throw new Error(`${err.message}; last seen: ${JSON.stringify(detail)}`);
  });
}
