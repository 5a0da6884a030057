/**
 * The generated CRDs install on a real API server, and the samples in deploy/samples
 * are accepted and round-trip through server-side apply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostConfigSchema, parseWorkload } from '../../src/api/index.js';
import {
  apply,
  type Cluster,
  connect,
  crdManifests,
  createNamespace,
  installCrds,
  resourcePath,
  sample,
} from './cluster.js';

let cluster: Cluster;
let ns: string;

beforeAll(async () => {
  cluster = await connect();
  await installCrds(cluster);
  ns = await createNamespace(cluster, 'samples');
});
afterAll(async () => cluster?.release());

const SAMPLES = [
  ['workload-hello.yaml', 'workloads'],
  ['workload-full.yaml', 'workloads'],
  ['hostconfig.yaml', 'hostconfigs'],
] as const;

describe('CRDs', () => {
  it('are Established with names accepted, status on all and scale on Workload', async () => {
    const names = crdManifests().map((c) => c.metadata.name);
    expect(names).toEqual(['hostconfigs.runtime.skiff.dev', 'hosts.runtime.skiff.dev', 'workloads.runtime.skiff.dev']);
    for (const name of names) {
      const res = await cluster.http.send('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      const conditions = Object.fromEntries(
        (res.body.status.conditions as { type: string; status: string }[]).map((c) => [c.type, c.status]),
      );
      expect(conditions).toMatchObject({ Established: 'True', NamesAccepted: 'True' });
      expect(res.body.spec.names.categories).toEqual(['skiff']);
      const version = res.body.spec.versions[0];
      expect(version.subresources.status).toEqual({});
      if (name.startsWith('workloads.')) expect(version.subresources.scale.specReplicasPath).toBe('.spec.replicas');
    }
  });
});

describe('samples', () => {
  it.each(SAMPLES)('%s is accepted by the API server and by zod', async (file, plural) => {
    const manifest = sample(file);
    if (plural === 'workloads') parseWorkload(manifest, file);
    else hostConfigSchema.parse(manifest);
    const res = await apply(cluster.http, resourcePath(plural, ns, manifest.metadata.name), manifest);
    expect(res.status, res.text).toBe(201);
    expect(res.body.metadata.generation).toBe(1);
  });

  it('fills defaults on the server like zod does', async () => {
    const res = await cluster.http.send('GET', resourcePath('workloads', ns, 'hello'));
    expect(res.status, res.text).toBe(200);
    const parsed = parseWorkload(sample('workload-hello.yaml'));
    expect(res.body.spec).toEqual(parsed.spec);
    const hc = await cluster.http.send('GET', resourcePath('hostconfigs', ns, 'default'));
    expect(hc.body.spec).toEqual(hostConfigSchema.parse(sample('hostconfig.yaml')).spec);
  });

  it.each(SAMPLES)('server-side apply of %s twice is a no-op', async (file, plural) => {
    const manifest = sample(file);
    const path = resourcePath(plural, ns, `${manifest.metadata.name}-ssa`);
    manifest.metadata.name = `${manifest.metadata.name}-ssa`;
    const first = await apply(cluster.http, path, manifest);
    expect(first.status, first.text).toBe(201);
    const second = await apply(cluster.http, path, manifest);
    expect(second.status, second.text).toBe(200);
    expect(second.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
    expect(second.body.metadata.generation).toBe(1);
  });
});
