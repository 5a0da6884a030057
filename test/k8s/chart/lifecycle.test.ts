/**
 * `helm install`, `upgrade`, `rollback` and `uninstall` against the real API server. It has
 * no kubelet or controllers, so no pod ever runs: what is tested is what Helm does to the
 * objects — created, changed where the values say (a pod template change is what rolls the
 * operator; the HostConfig image is what rolls the hosts), restored, removed — and what stays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, connect, createNamespace, installCrds, type Manifest } from '../cluster.js';
import { CHART, container, env, helm } from './helm.js';

let cluster: Cluster;
let ns: string;
const release = 'skiff';

beforeAll(async () => {
  cluster = await connect();
  // Other tests may have installed the CRDs already; helm then leaves them as they are.
  await installCrds(cluster);
  ns = await createNamespace(cluster, 'chart-helm');
});
afterAll(async () => cluster?.release());

async function get(kind: string, name: string, namespace: string | undefined = ns): Promise<Manifest | undefined> {
  const r = await cluster.kubectl('get', kind, name, ...(namespace ? ['-n', namespace] : []), '-o', 'json');
  if (r.code !== 0) {
    if (r.stderr.includes('NotFound')) return undefined;
    throw new Error(r.stderr);
  }
  return JSON.parse(r.stdout);
}

async function helmOk(...args: string[]): Promise<string> {
  const r = await helm(cluster, ...args);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const operatorName = `${release}-operator`;
const objects: [string, string, boolean][] = [
  ['deployment', operatorName, true],
  ['serviceaccount', operatorName, true],
  ['serviceaccount', `${release}-host`, true],
  ['poddisruptionbudget', operatorName, true],
  ['service', `${operatorName}-metrics`, true],
  ['statefulset', `${release}-nats`, true],
  ['service', `${release}-nats`, true],
  ['configmap', `${release}-nats`, true],
  ['role', `${operatorName}-leader`, true],
  ['rolebinding', `${operatorName}-leader`, true],
  ['clusterrole', `${operatorName}-${'NS'}`, false],
  ['clusterrolebinding', `${operatorName}-${'NS'}`, false],
];
const nameOf = (name: string) => name.replace('NS', ns);

describe('helm install / upgrade / rollback / uninstall', () => {
  it('install creates every object, and the default HostConfig', async () => {
    const out = await helmOk('install', release, CHART, '--namespace', ns);
    // NOTES.txt: how to look, and the warning about the bundled NATS without auth.
    expect(out).toContain(`kubectl -n ${ns} rollout status deployment/${operatorName}`);
    expect(out).toContain('WARNING: the bundled NATS has no authentication');
    for (const [kind, name, namespaced] of objects) {
      expect(await get(kind, nameOf(name), namespaced ? ns : undefined), `${kind}/${nameOf(name)}`).toBeDefined();
    }
    const d = await get('deployment', operatorName);
    expect(d?.spec.replicas).toBe(2);
    const hc = await get('hostconfig', 'default');
    expect(hc?.spec).toMatchObject({ replicas: 2 });
    const status = JSON.parse(await helmOk('status', release, '-n', ns, '-o', 'json'));
    expect(status.info.status).toBe('deployed');
    expect(status.version).toBe(1);
  });

  it('upgrade with an operator setting changes its pod template (a rollout); other values do not', async () => {
    const before = await get('deployment', operatorName);
    await helmOk('upgrade', release, CHART, '--namespace', ns, '--reuse-values', '--set', 'hostConfig.replicas=3');
    const same = await get('deployment', operatorName);
    expect(same?.metadata.generation).toBe(before?.metadata.generation);
    expect((await get('hostconfig', 'default'))?.spec.replicas).toBe(3);

    await helmOk('upgrade', release, CHART, '--namespace', ns, '--reuse-values', '--set', 'operator.logLevel=debug');
    const after = await get('deployment', operatorName);
    expect(after?.metadata.generation).toBe((before?.metadata.generation ?? 0) + 1);
    expect(env(container(after!, 'operator')).SKIFF_LOG_LEVEL).toBe('debug');
  });

  it('upgrade with a new image changes the operator image and its host image (the hosts roll)', async () => {
    await helmOk('upgrade', release, CHART, '--namespace', ns, '--reuse-values', '--set', 'image.tag=0.2.0');
    const c = container((await get('deployment', operatorName))!, 'operator');
    expect(c.image).toBe('skiff:0.2.0');
    // HostConfigs that name no image get the operator's --host-image: the new operator
    // replaces their host pods (surge, drain, delete) once it leads.
    expect(c.args).toContain('--host-image=skiff:0.2.0');
    expect((await get('hostconfig', 'default'))?.spec.image).toBeUndefined();
    // The CRDs are not Helm's to upgrade (crds/): still the ones installed.
    expect(await get('crd', 'workloads.runtime.skiff.dev', undefined)).toBeDefined();
  });

  it('rollback restores the first release: image, host image, settings and HostConfig', async () => {
    await helmOk('rollback', release, '1', '--namespace', ns);
    const d = await get('deployment', operatorName);
    expect(container(d!, 'operator').image).toBe('skiff:0.1.0');
    expect(container(d!, 'operator').args).toContain('--host-image=skiff:0.1.0');
    expect(env(container(d!, 'operator')).SKIFF_LOG_LEVEL).toBe('info');
    expect((await get('hostconfig', 'default'))?.spec).toMatchObject({ replicas: 2 });
    const history = JSON.parse(await helmOk('history', release, '-n', ns, '-o', 'json'));
    expect(history.map((h: Manifest) => h.status)).toEqual([
      'superseded',
      'superseded',
      'superseded',
      'superseded',
      'deployed',
    ]);
  });

  it('uninstall removes the release objects; CRDs, custom resources and the HostConfig stay', async () => {
    const workload = {
      apiVersion: 'runtime.skiff.dev/v1alpha1',
      kind: 'Workload',
      metadata: { name: 'hello', namespace: ns },
      spec: { components: [{ name: 'hello', image: 'registry.example.com/hello:1' }] },
    };
    const created = await cluster.http.send(
      'POST',
      `/apis/runtime.skiff.dev/v1alpha1/namespaces/${ns}/workloads`,
      workload,
    );
    expect(created.status, created.text).toBe(201);

    await helmOk('uninstall', release, '--namespace', ns);
    for (const [kind, name, namespaced] of objects) {
      expect(await get(kind, nameOf(name), namespaced ? ns : undefined), `${kind}/${nameOf(name)}`).toBeUndefined();
    }
    for (const crd of ['workloads', 'hostconfigs', 'hosts']) {
      expect(await get('crd', `${crd}.runtime.skiff.dev`, undefined)).toBeDefined();
    }
    expect(await get('workload', 'hello')).toBeDefined();
    expect(await get('hostconfig', 'default')).toBeDefined();
  });

  it('a new install adopts the HostConfig that uninstall left; the next change of it applies', async () => {
    await helmOk('install', release, CHART, '--namespace', ns, '--set', 'hostConfig.replicas=4');
    const adopted = await get('hostconfig', 'default');
    expect(adopted?.metadata.annotations['meta.helm.sh/release-name']).toBe(release);
    // Helm 3 adopts an existing object without patching it (it diffs the rendered object
    // against itself), so the kept spec stays until a later release changes it.
    expect(adopted?.spec.replicas).toBe(2);
    await helmOk('upgrade', release, CHART, '--namespace', ns, '--reuse-values', '--set', 'hostConfig.replicas=5');
    expect((await get('hostconfig', 'default'))?.spec.replicas).toBe(5);
    await helmOk('uninstall', release, '--namespace', ns);
  });
});
