/**
 * The chart's RBAC is enough, and no more: the real operator runs with the token of the
 * chart's ServiceAccount (TokenRequest) against its own API server (it watches every
 * namespace, so it gets a server of its own), with a real nats-server and a real `skiff host`.
 * Every API request it makes is counted by status: none may be refused. `kubectl auth can-i`
 * then checks what the account must not do, and that host pods' account may do nothing.
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
const account = () => `system:serviceaccount:${ns}:skiff-operator`;

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
    ]) {
      expect(
        used.some((u) => done.test(u)),
        String(done),
      ).toBe(true);
    }
    expect(used.filter((u) => / (401|403)$/.test(u))).toEqual([]);
  });
});

describe('what the chart does not grant', () => {
  const can = async (as: string, ...args: string[]) => {
    const r = await cluster.kubectl('auth', 'can-i', `--as=${as}`, ...args);
    return r.stdout.trim();
  };

  it('the operator may not touch what it does not use', async () => {
    const denied: string[][] = [
      ['delete', 'workloads.runtime.skiff.dev', '-n', appNs],
      ['update', 'workloads.runtime.skiff.dev', '-n', appNs],
      ['create', 'workloads.runtime.skiff.dev', '-n', appNs],
      ['delete', 'hostconfigs.runtime.skiff.dev', '-n', appNs],
      ['list', 'secrets', '-n', appNs],
      ['watch', 'secrets', '-A'],
      ['create', 'secrets', '-n', appNs],
      ['create', 'deployments.apps', '-n', ns],
      ['get', 'workloads.runtime.skiff.dev', '-n', appNs],
      ['patch', 'hostconfigs.runtime.skiff.dev', '-n', appNs],
      ['update', 'pods', '-n', podNs],
      ['get', 'pods', '-n', podNs],
      ['list', 'services', '-n', appNs],
      ['update', 'hostconfigs.runtime.skiff.dev', '--subresource=status', '-n', appNs],
      ['create', 'pods', '--subresource=exec', '-n', podNs],
      ['update', 'leases.coordination.k8s.io/other', '-n', ns],
      ['get', 'leases.coordination.k8s.io', '-n', appNs],
      ['create', 'events', '-n', appNs],
      ['delete', 'events.events.k8s.io', '-n', appNs],
      ['create', 'clusterroles.rbac.authorization.k8s.io'],
      ['get', 'nodes'],
    ];
    for (const args of denied) expect(await can(account(), ...args), args.join(' ')).toBe('no');
    const allowed: string[][] = [
      ['watch', 'workloads.runtime.skiff.dev', '-A'],
      ['patch', 'workloads.runtime.skiff.dev', '--subresource=status', '-n', appNs],
      ['update', 'leases.coordination.k8s.io/skiff-operator', '-n', ns],
      ['get', 'secrets/nats-credentials', '-n', appNs],
      ['patch', 'pods', '-n', podNs],
      ['create', 'endpointslices.discovery.k8s.io', '-n', appNs],
      ['update', 'hostconfigs.runtime.skiff.dev', '--subresource=finalizers', '-n', appNs],
    ];
    for (const args of allowed) expect(await can(account(), ...args), args.join(' ')).toBe('yes');
  });

  it('host pods get a ServiceAccount that may do nothing', async () => {
    const hostAccount = `system:serviceaccount:${ns}:skiff-host`;
    for (const args of [
      ['get', 'pods'],
      ['list', 'workloads.runtime.skiff.dev', '-A'],
      ['get', 'secrets'],
      ['create', 'events.events.k8s.io'],
    ]) {
      expect(await can(hostAccount, ...args, ...(args.includes('-A') ? [] : ['-n', ns])), args.join(' ')).toBe('no');
    }
  });

  it('with watchNamespaces, the permissions hold in those namespaces only', async () => {
    const scopedNs = await createNamespace(cluster, 'scoped');
    const docs = (
      await template(undefined, { 'operator.watchNamespaces': [appNs] }, { name: 'scoped', namespace: scopedNs })
    ).filter((d) => RBAC_KINDS.has(d.kind));
    const file = scratch('rbac-scoped.json');
    await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }));
    const applied = await cluster.kubectl('apply', '--server-side', '-f', file);
    expect(applied.code, applied.stderr).toBe(0);
    const as = `system:serviceaccount:${scopedNs}:scoped-operator`;
    expect(await can(as, 'watch', 'workloads.runtime.skiff.dev', '-n', appNs)).toBe('yes');
    expect(await can(as, 'watch', 'workloads.runtime.skiff.dev', '-n', podNs)).toBe('no');
    expect(await can(as, 'watch', 'workloads.runtime.skiff.dev', '-A')).toBe('no');
    expect(await can(as, 'patch', 'hosts.runtime.skiff.dev', '-n', scopedNs)).toBe('yes');
    expect(await can(as, 'list', 'hosts.runtime.skiff.dev', '-A')).toBe('yes');
    expect(await can(as, 'delete', 'hosts.runtime.skiff.dev', '-n', podNs)).toBe('no');
  });
});
