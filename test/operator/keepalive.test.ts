/**
 * Host replacement under kept-alive connections (ADR 0012, Revision 2): clients that keep
 * their connections (node:http Agent with keepAlive) hammer an HTTP Workload through a
 * Service while a HostConfig template change replaces every host pod. Real API server,
 * real NATS, real `skiff host` processes per pod (LocalKubelet), the operator in process,
 * and ServiceProxy in kube-proxy's place. No request may fail: the draining hosts answer
 * with `Connection: close` until they stop, so the clients reconnect to live endpoints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeepAliveLoad } from '../support/keepalive.js';
import { hostConfigReady, hostPods, type PodStack, startPodStack } from './pods.js';
import { ServiceProxy } from './service-proxy.js';
import { applyHostConfig, applyWorkload, helloWorkload, type Stack, waitFor, waitReady } from './stack.js';

let bench: PodStack;
let stack: Stack;
let proxy: ServiceProxy | undefined;

beforeAll(async () => {
  bench = await startPodStack('opka', 'ka-op');
  ({ stack } = bench);
});

afterAll(async () => {
  await proxy?.stop();
  await bench?.stop();
});

const podNames = async () => (await hostPods(stack)).map((p) => p.metadata.name as string);

describe('host replacement with kept-alive connections', () => {
  it('replaces every host pod while keep-alive clients see no failed request', async () => {
    await applyHostConfig(stack, { replicas: 2, labels: { tier: 'web' } });
    await hostConfigReady(stack, 2);
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
      await hostConfigReady(stack, 2);
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
