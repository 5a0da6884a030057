/**
 * deploy/gitops/: the Argo CD Application and the Flux HelmRelease + GitRepository are valid
 * for their CRDs (minimal schemas of test/k8s/chart/schemas, on the real API server) and
 * their values for the chart; argocd-cm.yaml carries the health check (health.test.ts).
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type Cluster, connect, type Manifest, ROOT } from '../cluster.js';
import { CHART, helm, scratch } from './helm.js';
import { HEALTH_SCRIPT } from './lua.js';
import { installGitOpsCrds } from './schemas.js';

const GITOPS = join(ROOT, 'deploy', 'gitops');
const read = (path: string): Manifest => parse(readFileSync(join(GITOPS, path), 'utf8'));
let cluster: Cluster;

beforeAll(async () => {
  cluster = await connect();
  await installGitOpsCrds(cluster);
  for (const ns of ['argocd', 'flux-system']) {
    const res = await cluster.http.send('POST', '/api/v1/namespaces', { metadata: { name: ns } });
    if (res.status !== 201 && res.status !== 409) throw new Error(`namespace ${ns}: ${res.text}`);
  }
});
afterAll(async () => cluster?.release());

async function dryRun(obj: Manifest) {
  const file = scratch('object.yaml');
  await writeFile(file, stringify(obj));
  return cluster.kubectl('apply', '--server-side', '--dry-run=server', '-f', file);
}

async function chartAccepts(values: unknown) {
  const file = scratch('values.yaml');
  await writeFile(file, stringify(values));
  return helm(
    undefined,
    'template',
    'skiff',
    CHART,
    '--namespace',
    'skiff-system',
    '--kube-version',
    'v1.34.4',
    '-f',
    file,
  );
}

describe('GitOps manifests', () => {
  it.each(['argocd/application.yaml', 'argocd/argocd-cm.yaml', 'flux/gitrepository.yaml', 'flux/helmrelease.yaml'])(
    '%s is accepted by the API server (server-side dry run, strict fields)',
    async (path) => {
      const r = await dryRun(read(path));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('serverside-applied (server dry run)');
    },
  );

  it('a misplaced field is refused, so the acceptance above means something', async () => {
    const app = read('argocd/application.yaml');
    app.spec.syncPolicy.automated.selfheal = true;
    const r1 = await dryRun(app);
    expect(r1.code).not.toBe(0);
    expect(r1.stderr).toContain('selfheal');
    const hr = read('flux/helmrelease.yaml');
    hr.spec.install.crds = 'Always';
    const r2 = await dryRun(hr);
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toContain('spec.install.crds');
  });

  it('both install this chart from this repository, with values the chart accepts', async () => {
    const app = read('argocd/application.yaml');
    expect(app.spec.source.path).toBe('charts/skiff');
    const hr = read('flux/helmrelease.yaml');
    expect(hr.spec.chart.spec.chart).toBe('./charts/skiff');
    const source = read('flux/gitrepository.yaml');
    expect(hr.spec.chart.spec.sourceRef).toEqual({ kind: 'GitRepository', name: source.metadata.name });
    expect(source.metadata.namespace).toBe(hr.metadata.namespace);
    for (const values of [app.spec.source.helm.valuesObject, hr.spec.values]) {
      const r = await chartAccepts(values);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('argocd-cm.yaml carries health.lua for both Workload and HostConfig', () => {
    const cm = read('argocd/argocd-cm.yaml');
    const script = readFileSync(HEALTH_SCRIPT, 'utf8');
    expect(cm.data['resource.customizations.health.runtime.skiff.dev_Workload']).toBe(script);
    expect(cm.data['resource.customizations.health.runtime.skiff.dev_HostConfig']).toBe(script);
  });
});
