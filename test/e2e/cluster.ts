/**
 * Access to the e2e cluster for the tests in this folder: kubectl, the API, fresh namespaces
 * (Pod Security "restricted"), manifests from tools/cluster/manifests, pushing a fixture to
 * the cluster's registry, and plain HTTP with a Host header to pod and Service addresses.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type ClusterInfo, renderManifest } from '../../tools/cluster/index.js';
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

/** createNamespace makes a fresh namespace enforcing Pod Security "restricted" and waits for its default ServiceAccount. */
export async function createNamespace(e2e: E2e, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const ns = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
  };
  await e2e.kubectl(['apply', '-f', '-'], JSON.stringify(ns));
  await waitFor(`default ServiceAccount in ${name}`, async () => {
    const res = await e2e.http.send('GET', `/api/v1/namespaces/${name}/serviceaccounts/default`);
    return res.status === 200 ? true : undefined;
  });
  return name;
}

/** startHostPod applies tools/cluster/manifests/host.yaml as pod `name` in `namespace`. */
export async function startHostPod(e2e: E2e, namespace: string, name: string): Promise<void> {
  const values = {
    name,
    namespace,
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

/** get sends GET http://ADDRESS:PORT/ with a Host header and resolves with the answer (bounded in time and size). */
export function get(address: string, port: number, host: string, path = '/'): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, headers: { host }, timeout: 5_000 }, (res) => {
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
