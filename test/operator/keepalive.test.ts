/**
 * Host replacement under kept-alive connections (ADR 0012, Revision 2): clients that keep
 * their connections (node:http Agent with keepAlive) hammer an HTTP Workload through a
 * Service while a HostConfig template change replaces every host pod. Real API server,
 * real NATS, real `skiff host` processes per pod (LocalKubelet), the operator in process,
 * and ServiceProxy in kube-proxy's place. No request may fail: the draining hosts answer
 * with `Connection: close` until they stop, so the clients reconnect to live endpoints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourcePath } from '../k8s/cluster.js';
import { KeepAliveLoad } from '../support/keepalive.js';
import { LocalKubelet, podIp } from './kubelet.js';
import { ServiceProxy } from './service-proxy.js';
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
  waitReady,
} from './stack.js';

let stack: Stack;
let kubelet: LocalKubelet;
let op: InProcessOperator;
let proxy: ServiceProxy | undefined;

beforeAll(async () => {
  stack = await startStack('opka');
  kubelet = new LocalKubelet(stack, podIp());
  kubelet.start();
  op = await startOperator(stack, 'ka-op', { natsUrl: stack.nats.url, hostImage: 'skiff:test' });
});

afterAll(async () => {
  await proxy?.stop();
  await op?.stop();
  await kubelet?.stop();
  await stack?.stop();
});

const api = (path: string) => stack.cluster.http.send('GET', path).then((r) => r.body as Manifest);
const podNames = async () =>
  (
    ((await api(`/api/v1/namespaces/${stack.namespace}/pods?labelSelector=runtime.skiff.dev/hostconfig=hosts`)).items ??
      []) as Manifest[]
  ).map((p) => p.metadata.name as string);

async function hostConfigReady(replicas: number): Promise<void> {
  await waitFor(
    `HostConfig ready with ${replicas}`,
    async () => {
      const hc = await api(resourcePath('hostconfigs', stack.namespace, 'hosts'));
      return (
        hc?.status?.readyReplicas === replicas &&
        hc.status.updatedReplicas === replicas &&
        hc.status.replicas === replicas &&
        condition(hc, 'Ready')?.status === 'True' &&
        hc.status.observedGeneration === hc.metadata.generation
      );
    },
    120_000,
  );
}

describe('host replacement with kept-alive connections', () => {
  it('replaces every host pod while keep-alive clients see no failed request', async () => {
    await applyHostConfig(stack, { replicas: 2, labels: { tier: 'web' } });
    await hostConfigReady(2);
    await applyWorkload(stack, helloWorkload(stack.namespace, 'web', await stack.image('hello-js'), { replicas: 2 }));
    await waitReady(stack, 'web');
    proxy = new ServiceProxy(stack, 'web');
    await proxy.start();
    await waitFor('two endpoints behind the Service', () => proxy!.endpoints.length === 2);

    const before = await podNames();
    const load = new KeepAliveLoad(
      { address: '127.0.0.1', port: proxy.port, vhost: `web.${stack.namespace}.svc` },
      { concurrency: 2 },
    );
    load.start();
    await waitFor('requests flowing on kept-alive connections', () => load.sent > 50);
    await applyHostConfig(stack, { replicas: 2, labels: { tier: 'web', rev: '2' } });
    try {
      await waitFor(
        'every pod replaced',
        async () => {
          const now = await podNames();
          return now.length === 2 && now.every((n) => !before.includes(n));
        },
        180_000,
      );
      await hostConfigReady(2);
      await waitReady(stack, 'web');
    } finally {
      const report = await load.stop();
      const story =
        `${report.failures.length} of ${report.sent} requests failed (${report.connections} connections, ` +
        `${report.closedByServer} answers with Connection: close); first: ${report.failures.slice(0, 5).join(' | ')}`;
      process.stderr.write(`keep-alive replacement: ${story}\n`);
      expect(report.failures, story).toEqual([]);
      expect(report.ok).toBeGreaterThan(100);
      // The clients did move: the draining hosts told them to reconnect.
      expect(report.closedByServer).toBeGreaterThan(0);
      expect(proxy.refused).toBe(0);
    }
  });
});
