/**
 * The first end-to-end test on the real cluster: Skiff installed from the Dockerfile's image
 * with plain manifests, a `skiff host` pod, and a Workload whose component was pushed to the
 * cluster's registry, answering HTTP from the host pod and through a Service.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixturePath } from '../support/fixtures.js';
import {
  connectCluster,
  createNamespace,
  type E2e,
  get,
  pushComponent,
  readyPodIp,
  startHostPod,
  waitFor,
} from './cluster.js';

const GROUP = '/apis/runtime.skiff.dev/v1alpha1';
type Condition = { type: string; status: string; reason?: string; message?: string };
const conditionOf = (obj: { status?: { conditions?: Condition[] } }, type: string) =>
  obj.status?.conditions?.find((c) => c.type === type);

describe('Skiff on a real cluster', () => {
  let e2e: E2e;
  let ns: string;
  // Without a cluster every test fails with the reason (not the suite, so each counts as failed).
  let unavailable: unknown;

  beforeAll(async () => {
    try {
      e2e = connectCluster();
      ns = await createNamespace(e2e, 'e2e-hello');
    } catch (err) {
      unavailable = err;
    }
  });

  beforeEach(() => {
    if (unavailable) throw unavailable;
  });

  afterAll(async () => {
    if (ns) await e2e.kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
    e2e?.close();
  });

  it('runs the operator from the Dockerfile image, non-root, with a read-only root filesystem', async () => {
    const pods = await e2e.http.send(
      'GET',
      '/api/v1/namespaces/skiff-system/pods?labelSelector=app.kubernetes.io%2Fname%3Dskiff-operator',
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

  it('serves a Workload pushed to the cluster registry from a host pod, directly and through a Service', async () => {
    await startHostPod(e2e, ns, 'host-a');
    const podIp = await readyPodIp(e2e, ns, 'host-a');
    await waitFor('Host host-a Ready', async () => {
      const host = (await e2e.http.send('GET', `${GROUP}/namespaces/${ns}/hosts/host-a`)).body;
      return conditionOf(host, 'Ready')?.status === 'True' ? true : undefined;
    });

    await pushComponent(e2e, await fixturePath('hello-c'), 'e2e/hello-c:1');
    const hostname = `hello.${ns}`;
    const workload = {
      apiVersion: 'runtime.skiff.dev/v1alpha1',
      kind: 'Workload',
      metadata: { name: 'hello', namespace: ns },
      spec: {
        // The host pod reaches the registry as localhost:5000 (see tools/cluster/manifests/host.yaml).
        components: [{ name: 'hello', image: 'localhost:5000/e2e/hello-c:1' }],
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
    await e2e.kubectl(['apply', '-f', '-'], JSON.stringify(workload));
    let last: Condition | undefined;
    await waitFor(
      'Workload hello Ready',
      async () => {
        last = conditionOf((await e2e.http.send('GET', `${GROUP}/namespaces/${ns}/workloads/hello`)).body, 'Ready');
        return last?.status === 'True' ? true : undefined;
      },
      90_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last Ready condition: ${JSON.stringify(last)}`);
    });

    expect(await get(podIp, 8080, hostname)).toEqual({ status: 200, body: 'hello from skiff' });

    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'hello', namespace: ns },
      spec: { selector: { 'app.kubernetes.io/name': 'skiff-host' }, ports: [{ port: 80, targetPort: 8080 }] },
    };
    await e2e.kubectl(['apply', '-f', '-'], JSON.stringify(service));
    const clusterIp = (await e2e.http.send('GET', `/api/v1/namespaces/${ns}/services/hello`)).body.spec.clusterIP;
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
    const gone = await waitFor('the host to stop serving hello', async () => {
      const answer = await get(podIp, 8080, hostname);
      return answer.status === 404 ? answer : undefined;
    });
    expect(gone.status).toBe(404);
  });
});
