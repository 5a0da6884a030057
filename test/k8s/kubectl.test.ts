/**
 * What users see through kubectl: explain reads the schema descriptions, scale drives
 * the scale subresource, and the `skiff` category lists every kind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apply,
  type Cluster,
  connect,
  createNamespace,
  installCrds,
  resourcePath,
  sample,
  waitFor,
} from './cluster.js';

let cluster: Cluster;
let ns: string;

beforeAll(async () => {
  cluster = await connect();
  await installCrds(cluster);
  ns = await createNamespace(cluster, 'kubectl');
});
afterAll(async () => cluster?.release());

describe('kubectl', () => {
  it('explain workload.spec.hostInterfaces shows the field descriptions', async () => {
    // The OpenAPI document of a new CRD is published shortly after it is Established.
    const out = await waitFor('kubectl explain to know Workload', async () => {
      const r = await cluster.kubectl('explain', 'workload.spec.hostInterfaces');
      return r.code === 0 ? r.stdout : undefined;
    });
    expect(out).toContain('Capabilities granted to the components. Anything not listed here is denied.');
    expect(out).toMatch(/namespace\s+<string> -required-/);
    expect(out).toContain('WIT namespace of the package, e.g. wasi.');
    expect(out).toContain('Interfaces of the package that are granted');
    expect(out).toContain('Semantic version of the package');
  });

  it('scale workload changes spec.replicas through the scale subresource', async () => {
    const manifest = sample('workload-hello.yaml');
    const created = await apply(cluster.http, resourcePath('workloads', ns, 'hello'), manifest);
    expect(created.status, created.text).toBe(201);
    expect(created.body.spec.replicas).toBe(1);

    const r = await cluster.kubectl('scale', '-n', ns, 'workload/hello', '--replicas=3');
    expect(r.code, r.stderr).toBe(0);

    const after = await cluster.http.send('GET', resourcePath('workloads', ns, 'hello'));
    expect(after.body.spec.replicas).toBe(3);
    const scale = await cluster.http.send('GET', `${resourcePath('workloads', ns, 'hello')}/scale`);
    expect(scale.body.spec.replicas).toBe(3);
  });

  it('get skiff lists Workloads, HostConfigs and Hosts with their short names', async () => {
    const hc = sample('hostconfig.yaml');
    expect((await apply(cluster.http, resourcePath('hostconfigs', ns, 'default'), hc)).status).toBe(201);
    const host = { apiVersion: 'runtime.skiff.dev/v1alpha1', kind: 'Host', metadata: { name: 'host-a' } };
    expect((await apply(cluster.http, resourcePath('hosts', ns, 'host-a'), host)).status).toBe(201);

    const all = await cluster.kubectl('get', 'skiff', '-n', ns, '-o', 'name');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'host.runtime.skiff.dev/host-a',
      'hostconfig.runtime.skiff.dev/default',
      'workload.runtime.skiff.dev/hello',
    ]);
    for (const [short, name] of [
      ['wl', 'hello'],
      ['hc', 'default'],
      ['hosts', 'host-a'],
    ] as const) {
      const r = await cluster.kubectl('get', short, '-n', ns);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(name);
    }
    const wl = await cluster.kubectl('get', 'wl', '-n', ns);
    expect(wl.stdout).toMatch(/NAME\s+REPLICAS\s+READY\s+STATUS\s+REASON\s+AGE/);
    const hosts = await cluster.kubectl('get', 'hosts', '-n', ns);
    expect(hosts.stdout).toMatch(/NAME\s+POD\s+WORKLOADS\s+CAPACITY\s+READY\s+CORDONED\s+LABELS\s+AGE/);
  });
});
