/**
 * The chart's RBAC is enough, and no more: the real operator runs with the token of the
 * chart's ServiceAccount (TokenRequest) against its own API server (it watches every
 * namespace, so it gets a server of its own), with a real nats-server and a real `skiff host`.
 * Every API request it makes is counted by status: none may be refused. What the account
 * must not do is checked in rbac-limits.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { connectNats } from '../../../src/nats/connection.js';
import { createKubeMetrics, Kube, type KubeMetrics } from '../../../src/operator/kube/index.js';
import { DEFAULT_OPERATOR_CONFIG, Operator } from '../../../src/operator/operator.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { KubeHttp, loadTestEnvConfig, startTestEnv } from '../../../tools/testenv/index.js';
import { type CliRun, runCli } from '../../support/cli.js';
import { startNats, type TestNatsServer } from '../../support/nats.js';
import { apply, type Cluster, createNamespace, installCrds, resourcePath, waitFor } from '../cluster.js';
import { exec, scratch, template } from './helm.js';

const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

let cluster: Cluster;
let nats: TestNatsServer;
let nc: NatsConnection;
let operator: Operator;
let host: CliRun | undefined;
let metrics: KubeMetrics;
let ns: string;
let podNs: string;
let appNs: string;
const identity = `skiff-operator-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  const env = await startTestEnv(loadTestEnvConfig());
  const http = new KubeHttp(env.credentials);
  cluster = {
    info: env,
    http,
    kubectl: (...args) => exec(join(env.binDir, 'kubectl'), ['--kubeconfig', env.kubeconfig, ...args]),
    release: async () => {
      http.close();
      await env.stop();
    },
  };
  await installCrds(cluster);
  [ns, podNs, appNs] = [
    await createNamespace(cluster, 'skiff'),
    await createNamespace(cluster, 'hosts'),
    await createNamespace(cluster, 'app'),
  ];
  // Only the chart's ServiceAccounts and RBAC: the operator itself runs here, in the test.
  const docs = (await template(undefined, {}, { name: 'skiff', namespace: ns })).filter((d) => RBAC_KINDS.has(d.kind));
  const file = scratch('rbac.json');
  await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }));
  const applied = await cluster.kubectl('apply', '--server-side', '-f', file);
  if (applied.code !== 0) throw new Error(applied.stderr);
  const token = await cluster.kubectl('create', 'token', 'skiff-operator', '-n', ns, '--duration=1h');
  if (token.code !== 0) throw new Error(token.stderr);
  const kubeconfig = scratch('kubeconfig');
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'test', cluster: { server: env.credentials.server, 'certificate-authority': env.credentials.caFile } },
      ],
      users: [{ name: 'operator', user: { token: token.stdout.trim() } }],
      contexts: [{ name: 'operator', context: { cluster: 'test', user: 'operator' } }],
      'current-context': 'operator',
    }),
  );

  nats = await startNats();
  nc = await connectNats({ servers: [nats.url] }, { name: 'rbac-operator' });
  metrics = createKubeMetrics(new Registry());
  const kube = Kube.load({ kubeconfig, metrics });
  const config = {
    ...DEFAULT_OPERATOR_CONFIG,
    leaseNamespace: ns,
    hostNamespace: ns,
    identity,
    hostServiceAccount: 'skiff-host',
    healthPort: 0,
    metricsPort: 0,
    bind: '127.0.0.1',
  };
  operator = new Operator(config, {
    kube,
    nc,
    logger: createLogger({ level: process.env.SKIFF_TEST_LOG ?? 'silent' }),
  });
  await operator.start();
}, 240_000);

afterAll(async () => {
  await host?.stop();
  await operator?.stop();
  await nc?.close();
  await nats?.stop();
  await cluster?.release();
});

const get = async (path: string) => {
  const res = await cluster.http.send('GET', path);
  return res.status === 200 ? res.body : undefined;
};

describe('the operator with the chart RBAC only', () => {
  it('takes the Lease in the release namespace', async () => {
    await waitFor('the Lease', async () => {
      const lease = await get(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/skiff-operator`);
      return lease?.spec.holderIdentity === identity ? lease : undefined;
    });
  });

  it('writes the Host object of a host in a pod into that pod namespace', async () => {
    host = runCli([
      'host',
      '--nats',
      nats.url,
      '--name',
      'host-rbac',
      '--port',
      '0',
      '--metrics-port',
      '0',
      '--bind',
      '127.0.0.1',
      '--heartbeat-seconds',
      '1',
      '--pod-namespace',
      podNs,
      '--pod-name',
      'host-rbac-0',
      '--pod-uid',
      randomUUID(),
      '--pod-ip',
      '127.0.0.1',
    ]);
    await host.waitFor(/ready; http port (\d+)/, 90_000);
    const obj = await waitFor(
      'the Host object',
      async () => {
        const list = await get(resourcePath('hosts', podNs));
        const h = list?.items.find((i: { status?: { hostId?: string } }) => i.status?.hostId === 'host-rbac');
        return h;
      },
      60_000,
    );
    expect(obj.status.podName).toBe('host-rbac-0');
  });

  it('sets its finalizer, writes status and records Events on a Workload, and lets it go', async () => {
    const workload = {
      apiVersion: 'runtime.skiff.dev/v1alpha1',
      kind: 'Workload',
      metadata: { name: 'nowhere', namespace: appNs },
      spec: {
        components: [{ name: 'hello', image: 'registry.example.com/hello:1' }],
        hostSelector: { zone: 'no-such-zone' },
      },
    };
    const res = await apply(cluster.http, resourcePath('workloads', appNs, 'nowhere'), workload, 'kubectl');
    expect(res.status, res.text).toBe(201);
    const w = await waitFor('status of the Workload', async () => {
      const got = await get(resourcePath('workloads', appNs, 'nowhere'));
      return got?.status?.conditions?.length ? got : undefined;
    });
    expect(w.metadata.finalizers).toContain('runtime.skiff.dev/stop');
    expect(w.status.conditions.find((c: { type: string }) => c.type === 'Ready')).toMatchObject({ status: 'False' });
    await waitFor('an Event about the Workload', async () => {
      const events = await get(`/apis/events.k8s.io/v1/namespaces/${appNs}/events`);
      return events?.items.some((e: { regarding: { name: string } }) => e.regarding.name === 'nowhere')
        ? true
        : undefined;
    });
    const del = await cluster.http.send('DELETE', resourcePath('workloads', appNs, 'nowhere'));
    expect(del.status).toBe(200);
    await waitFor('the Workload to be gone', async () =>
      (await cluster.http.send('GET', resourcePath('workloads', appNs, 'nowhere'))).status === 404 ? true : undefined,
    );
  });

  it('creates host pods from a HostConfig, under the host account, with its NATS Secret; scales them away', async () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'nats-credentials' },
      stringData: { token: 't' },
    };
    const made = await cluster.http.send('POST', `/api/v1/namespaces/${appNs}/secrets`, secret);
    expect(made.status, made.text).toBe(201);
    const hc = {
      apiVersion: 'runtime.skiff.dev/v1alpha1',
      kind: 'HostConfig',
      metadata: { name: 'hosts', namespace: appNs },
      spec: { replicas: 1, nats: { url: nats.url, credentialsSecret: 'nats-credentials' } },
    };
    const res = await apply(cluster.http, resourcePath('hostconfigs', appNs, 'hosts'), hc, 'kubectl');
    expect(res.status, res.text).toBe(201);
    const pods = `/api/v1/namespaces/${appNs}/pods?labelSelector=runtime.skiff.dev%2Fhostconfig%3Dhosts`;
    const pod = await waitFor('a host pod', async () => (await get(pods))?.items[0]);
    expect(pod.spec.serviceAccountName).toBe('skiff-host');
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expect(JSON.stringify(pod.spec.containers[0].env)).toContain('nats-credentials');
    await waitFor('HostConfig status', async () => {
      const got = await get(resourcePath('hostconfigs', appNs, 'hosts'));
      return got?.status?.observedGeneration === got?.metadata.generation ? got : undefined;
    });
    const scaled = await apply(
      cluster.http,
      resourcePath('hostconfigs', appNs, 'hosts'),
      { ...hc, spec: { ...hc.spec, replicas: 0 } },
      'kubectl',
    );
    expect(scaled.status, scaled.text).toBe(200);
    await waitFor('the host pod to be deleted', async () => ((await get(pods))?.items.length === 0 ? true : undefined));
  });

  it('deletes the Host object of a host that left', async () => {
    await host?.stop();
    host = undefined;
    await waitFor(
      'the Host object to be deleted',
      async () => ((await get(resourcePath('hosts', podNs)))?.items.length === 0 ? true : undefined),
      60_000,
    );
  });

  it('steps down on stop and releases the Lease', async () => {
    await operator.stop();
    const lease = await get(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/skiff-operator`);
    expect(lease.spec.holderIdentity ?? '').toBe('');
  });
  it('was refused nothing', async () => {
    const counts = (await metrics.requests.get()).values;
    const used = counts.map((v) => `${v.labels.verb} ${v.labels.resource} ${v.labels.code}`).sort();
    if (process.env.SKIFF_TEST_LOG) process.stderr.write(`${used.join('\n')}\n`);
    // The rules were exercised: each of these ran, and succeeded (apply covers the status
    // subresources too; the release on stop is an update of the Lease).
    for (const done of [
      /^create leases 201$/,
      /^update leases 200$/,
      /^list workloads 200$/,
      /^watch workloads open$/,
      /^patch workloads 200$/,
      /^apply workloads 200$/,
      /^apply hosts 201$/,
      /^delete hosts 200$/,
      /^create events 201$/,
      /^list hostconfigs 200$/,
      /^watch hostconfigs open$/,
      /^apply hostconfigs 20[01]$/,
      /^list pods 200$/,
      /^watch pods open$/,
      /^create pods 201$/,
      /^delete pods 200$/,
      /^get secrets 200$/,
    ]) {
      expect(
        used.some((u) => done.test(u)),
        String(done),
      ).toBe(true);
    }
    expect(used.filter((u) => / (401|403)$/.test(u))).toEqual([]);
  });
});
