/**
 * What the chart's RBAC does not grant, asked of the real API server's authorizer with
 * `kubectl auth can-i --as=<service account>`: the operator's account outside the calls it
 * makes, the host pods' account at all, and namespaced mode outside its namespaces.
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, connect, createNamespace, installCrds } from '../cluster.js';
import { scratch, template } from './helm.js';

const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
let cluster: Cluster;
let ns: string;
let podNs: string;
let appNs: string;
const account = () => `system:serviceaccount:${ns}:skiff-operator`;

async function applyRbac(values: Record<string, unknown>, release: { name: string; namespace: string }) {
  const docs = (await template(undefined, values, release)).filter((d) => RBAC_KINDS.has(d.kind));
  const file = scratch('rbac.json');
  await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }));
  const applied = await cluster.kubectl('apply', '--server-side', '-f', file);
  if (applied.code !== 0) throw new Error(applied.stderr);
}

beforeAll(async () => {
  cluster = await connect();
  // kubectl auth can-i resolves resource names through discovery: the CRDs must be there.
  await installCrds(cluster);
  [ns, podNs, appNs] = [
    await createNamespace(cluster, 'skiff'),
    await createNamespace(cluster, 'hosts'),
    await createNamespace(cluster, 'app'),
  ];
  await applyRbac({}, { name: 'skiff', namespace: ns });
});
afterAll(async () => cluster?.release());

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
    await applyRbac({ 'operator.watchNamespaces': [appNs] }, { name: 'scoped', namespace: scopedNs });
    const as = `system:serviceaccount:${scopedNs}:scoped-operator`;
    expect(await can(as, 'watch', 'workloads.runtime.skiff.dev', '-n', appNs)).toBe('yes');
    expect(await can(as, 'watch', 'workloads.runtime.skiff.dev', '-n', podNs)).toBe('no');
    expect(await can(as, 'watch', 'workloads.runtime.skiff.dev', '-A')).toBe('no');
    expect(await can(as, 'patch', 'hosts.runtime.skiff.dev', '-n', scopedNs)).toBe('yes');
    expect(await can(as, 'list', 'hosts.runtime.skiff.dev', '-A')).toBe('yes');
    expect(await can(as, 'delete', 'hosts.runtime.skiff.dev', '-n', podNs)).toBe('no');
  });
});
