/**
 * The first end-to-end test on the real cluster: Skiff installed from the Dockerfile's image,
 * a `skiff host` pod, and a Workload whose component was pushed to the cluster's registry,
 * answering HTTP from the host pod, through the Service the operator makes for it, and from a
 * pod by that Service's DNS name.
 */
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../support/fixtures.js';
import {
  conditionOf,
  e2eSuite,
  get,
  helloWorkload,
  pushComponent,
  readyPodIp,
  startHostPod,
  waitFor,
  waitHostsReady,
  waitWorkload,
} from './cluster.js';

describe('Skiff on a real cluster', () => {
  const s = e2eSuite('e2e-hello');

  it('runs the operator from the Dockerfile image, non-root, with a read-only root filesystem', async () => {
    const { e2e } = s;
    // The operator's Deployment, whichever way Skiff was installed (plain manifests or the chart).
    const deployments = (await e2e.http.send('GET', '/apis/apps/v1/namespaces/skiff-system/deployments')).body.items;
    const operator = deployments.find((d: { metadata: { name: string } }) => d.metadata.name.endsWith('operator'));
    expect(operator).toBeDefined();
    const selector = Object.entries(operator.spec.selector.matchLabels as Record<string, string>)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = await e2e.http.send(
      'GET',
      `/api/v1/namespaces/skiff-system/pods?labelSelector=${encodeURIComponent(selector)}`,
    );
    expect(pods.status).toBe(200);
    const [pod] = pods.body.items;
    expect(pod.spec.containers[0].image).toBe(e2e.info.images.skiff);
    expect(pod.spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    expect(conditionOf(pod, 'Ready')?.status).toBe('True');
    const uid = await e2e.kubectl(['-n', 'skiff-system', 'exec', pod.metadata.name, '--', 'id', '-u']);
    expect(uid.trim()).toBe('1000');
    const write = await e2e.kubectl(['-n', 'skiff-system', 'exec', pod.metadata.name, '--', 'touch', '/app/x']).then(
      () => 'written',
      (err: Error) => err.message,
    );
    expect(write).toMatch(/Read-only file system/);
  });

  it('serves a Workload pushed to the cluster registry from a host pod, directly and through its Service', async () => {
    const { e2e, ns } = s;
    await startHostPod(e2e, ns, 'host-a');
    const podIp = await readyPodIp(e2e, ns, 'host-a');
    await waitHostsReady(e2e, ns, ['host-a']);

    await pushComponent(e2e, await fixturePath('hello-c'), 'e2e/hello-c:1');
    const hostname = `hello.${ns}`;
    // The host pod pulls from the cluster registry by its address (host.yaml: --insecure-registry).
    const workload = helloWorkload(ns, 'hello', `${e2e.info.registry}/e2e/hello-c:1`, hostname);
    await e2e.kubectl(['apply', '-f', '-'], JSON.stringify(workload));
    await waitWorkload(e2e, ns, 'hello');

    expect(await get(podIp, 8080, hostname)).toEqual({ status: 200, body: 'hello from skiff' });

    // The operator gives an HTTP Workload a Service named after it, with an EndpointSlice of its hosts.
    const clusterIp = await waitFor('the Service hello', async () => {
      const res = await e2e.http.send('GET', `/api/v1/namespaces/${ns}/services/hello`);
      return res.status === 200 ? (res.body.spec.clusterIP as string) : undefined;
    });
    const viaService = await waitFor('an answer through the Service', async () => {
      const answer = await get(clusterIp, 80, hostname);
      return answer.status === 200 ? answer : undefined;
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await e2e.kubectl(['-n', ns, 'get', 'pods,endpointslices', '-o', 'wide'])}`);
    });
    expect(viaService.body).toBe('hello from skiff');

    // From a pod, by the Service's DNS name (cluster DNS), with the Workload's host name.
    const client = [
      "const http = require('node:http');",
      `http.get({ host: 'hello.${ns}.svc', port: 80, headers: { host: '${hostname}' }, timeout: 5000 }, (res) => {`,
      "  let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => console.log(res.statusCode, body));",
      "}).on('error', (err) => { console.log('error', err.message); process.exitCode = 1; });",
    ].join('\n');
    const fromPod = await e2e.kubectl(['-n', ns, 'exec', 'host-a', '-c', 'host', '--', 'node', '-e', client]);
    expect(fromPod.trim()).toBe('200 hello from skiff');

    await e2e.kubectl(['-n', ns, 'delete', 'workload', 'hello']);
    await waitFor('the Service of hello gone', async () => {
      const res = await e2e.http.send('GET', `/api/v1/namespaces/${ns}/services/hello`);
      return res.status === 404 ? true : undefined;
    });
    const gone = await waitFor('the host to stop serving hello', async () => {
      const answer = await get(podIp, 8080, hostname);
      return answer.status === 404 ? answer : undefined;
    });
    expect(gone.status).toBe(404);
  });
});
