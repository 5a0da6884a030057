/**
 * `helm template` output against the real API server: a server-side dry run of every object
 * (schemas, CRDs, RBAC, defaults) for several value sets, and the pods the Deployment and
 * StatefulSet would create, admitted by the PodSecurity admission plugin under `restricted`.
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, connect, createNamespace, installCrds, type Manifest } from '../cluster.js';
import { find, scratch, template } from './helm.js';
import { installServiceMonitorCrd } from './schemas.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await connect();
  await installCrds(cluster);
  await installServiceMonitorCrd(cluster);
});
afterAll(async () => cluster?.release());

async function restrictedNamespace(prefix: string): Promise<string> {
  const ns = await createNamespace(cluster, prefix);
  const label = await cluster.kubectl('label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted');
  if (label.code !== 0) throw new Error(label.stderr);
  return ns;
}

async function dryRun(docs: Manifest[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = scratch('chart.json');
  await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }));
  return cluster.kubectl('apply', '--server-side', '--dry-run=server', '--field-manager=helm', '-f', file);
}

/** podOf builds the Pod a controller would create from a workload's template. */
function podOf(workload: Manifest, ns: string): Manifest {
  const spec = structuredClone(workload.spec.template.spec);
  for (const claim of workload.spec.volumeClaimTemplates ?? []) {
    spec.volumes = [...(spec.volumes ?? []), { name: claim.metadata.name, persistentVolumeClaim: { claimName: 'x' } }];
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${workload.metadata.name}-0`, namespace: ns, labels: workload.spec.template.metadata.labels },
    spec,
  };
}

const valueSets: [string, Record<string, unknown>][] = [
  ['the defaults', {}],
  [
    'a NATS token, a ServiceMonitor and no PDB',
    {
      'nats.auth': { type: 'token', secretName: 'nats-token' },
      'metrics.serviceMonitor.enabled': true,
      'operator.podDisruptionBudget.enabled': false,
    },
  ],
  [
    'external NATS with a creds file and TLS, no HostConfig',
    {
      'nats.bundled.enabled': false,
      'nats.url': 'tls://nats.example.com:4222',
      'nats.auth': { type: 'creds', secretName: 'nats-creds' },
      'nats.tls': { secretName: 'nats-tls', clientCertificate: true },
      'hostConfig.create': false,
    },
  ],
  [
    'a HostConfig with every field',
    {
      'hostConfig.labels': { zone: 'a' },
      'hostConfig.plugins': {
        keyvalue: { enabled: true, backend: 'memory' },
        messaging: { enabled: false, backend: 'nats' },
      },
      'hostConfig.nodeSelector': { 'kubernetes.io/os': 'linux' },
      'hostConfig.tolerations': [{ key: 'dedicated', operator: 'Equal', value: 'skiff', effect: 'NoSchedule' }],
      'hostConfig.insecureRegistries': ['registry.local:5000', '10.0.0.1:5000'],
      'operator.tolerations': [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
      'operator.affinity': {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] }],
          },
        },
      },
      imagePullSecrets: [{ name: 'registry' }],
    },
  ],
];

describe('server-side dry run of the rendered chart', () => {
  it.each(valueSets)('the API server accepts every object with %s', async (_what, values) => {
    const ns = await restrictedNamespace('chart-dry');
    const docs = await template(undefined, values, { name: 'skiff', namespace: ns });
    const r = await dryRun(docs);
    expect(r.code, r.stderr).toBe(0);
    const applied = r.stdout.split('\n').filter((l) => l.includes('serverside-applied (server dry run)'));
    expect(applied.length).toBe(docs.length);
  });

  it('accepts namespaced RBAC across the watched namespaces', async () => {
    const ns = await restrictedNamespace('chart-dry');
    const [a, b] = [await createNamespace(cluster, 'team'), await createNamespace(cluster, 'team')];
    const docs = await template(undefined, { 'operator.watchNamespaces': [a, b] }, { name: 'skiff', namespace: ns });
    expect(
      docs
        .filter((d) => d.kind === 'Role')
        .map((d) => d.metadata.namespace)
        .sort(),
    ).toEqual([a, b, ns, ns].sort());
    const r = await dryRun(docs);
    expect(r.code, r.stderr).toBe(0);
  });

  it('the operator and NATS pods pass the restricted Pod Security Standard', async () => {
    const ns = await restrictedNamespace('chart-pss');
    const docs = await template(
      undefined,
      { 'nats.auth': { type: 'token', secretName: 't' } },
      { name: 'skiff', namespace: ns },
    );
    for (const w of [find(docs, 'Deployment'), find(docs, 'StatefulSet')]) {
      const res = await cluster.http.send('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, podOf(w, ns));
      expect(res.status, `${w.kind}: ${res.text}`).toBe(201);
    }
    // The control: the same namespace refuses a pod that may escalate, so the admissions above mean something.
    const loose = podOf(find(docs, 'Deployment'), ns);
    loose.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    const refused = await cluster.http.send('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, loose);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('violates PodSecurity "restricted');
  });
});
