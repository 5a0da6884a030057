/**
 * deploy/: generated from the chart and drift-checked; `kubectl apply --server-side` of
 * deploy/crds.yaml then deploy/skiff.yaml installs Skiff on the real API server, and applying
 * both again changes nothing.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/gen.js';
import { DEPLOY_RELEASE } from '../../../src/gen/index.js';
import { type Cluster, connect, type Manifest, ROOT } from '../cluster.js';
import { BIN_DIR, parseManifests, scratch } from './helm.js';

const HELM = join(BIN_DIR, 'helm');
let cluster: Cluster;

beforeAll(async () => {
  cluster = await connect();
});
afterAll(async () => cluster?.release());

const file = (name: string) => join(ROOT, 'deploy', name);

/** versions reads `Kind/name=resourceVersion` of every object in a manifest file. */
async function versions(path: string): Promise<string[]> {
  const jsonpath = '{range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}';
  const r = await cluster.kubectl('get', '-f', path, '-o', `jsonpath=${jsonpath}`);
  if (r.code !== 0) throw new Error(`kubectl get -f ${path}: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

describe('deploy/', () => {
  it('is what the chart renders with its default values (npm run gen:check)', async () => {
    expect(await run(['--check', '--root', ROOT, '--helm', HELM])).toBe(0);
  });

  it('gen --check names a stale deploy/skiff.yaml, and gen rewrites it', async () => {
    const dir = scratch('gen-deploy');
    await cp(join(ROOT, 'charts'), join(dir, 'charts'), { recursive: true });
    await cp(join(ROOT, 'crds'), join(dir, 'crds'), { recursive: true });
    await cp(join(ROOT, 'deploy'), join(dir, 'deploy'), { recursive: true });
    const values = join(dir, 'charts', 'skiff', 'values.yaml');
    await writeFile(
      values,
      (await readFile(values, 'utf8')).replace('replicas: 2\n  logLevel', 'replicas: 3\n  logLevel'),
    );
    expect(await run(['--check', '--root', dir, '--helm', HELM])).toBe(1);
    expect(await run(['--root', dir, '--helm', HELM])).toBe(0);
    expect(await readFile(join(dir, 'deploy', 'skiff.yaml'), 'utf8')).toContain('replicas: 3');
    expect(await run(['--check', '--root', dir, '--helm', HELM])).toBe(0);
  });

  it('holds the Namespace (restricted), the CRDs first, and no Helm hooks', async () => {
    const crds = parseManifests(await readFile(file('crds.yaml'), 'utf8'));
    expect(crds.map((c) => c.kind)).toEqual(Array(3).fill('CustomResourceDefinition'));
    const docs = parseManifests(await readFile(file('skiff.yaml'), 'utf8'));
    expect(docs[0]).toMatchObject({
      kind: 'Namespace',
      metadata: { name: DEPLOY_RELEASE.namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    });
    for (const d of docs.slice(1)) {
      if (d.kind.startsWith('Cluster')) continue;
      expect(d.metadata.namespace, `${d.kind}/${d.metadata.name}`).toBe(DEPLOY_RELEASE.namespace);
      expect(d.metadata.annotations?.['helm.sh/hook']).toBeUndefined();
    }
  });

  it('kubectl apply --server-side installs Skiff, and a second apply changes nothing', async () => {
    const applyAll = async () => {
      const crds = await cluster.kubectl('apply', '--server-side', '-f', file('crds.yaml'));
      expect(crds.code, crds.stderr).toBe(0);
      const wait = await cluster.kubectl(
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        'crd/workloads.runtime.skiff.dev',
        'crd/hostconfigs.runtime.skiff.dev',
        'crd/hosts.runtime.skiff.dev',
      );
      expect(wait.code, wait.stderr).toBe(0);
      const rest = await cluster.kubectl('apply', '--server-side', '-f', file('skiff.yaml'));
      expect(rest.code, rest.stderr).toBe(0);
      return rest.stdout;
    };
    const first = await applyAll();
    const docs = parseManifests(await readFile(file('skiff.yaml'), 'utf8'));
    expect(first.trim().split('\n')).toHaveLength(docs.length);
    const before = await versions(file('skiff.yaml'));
    const crdsBefore = await versions(file('crds.yaml'));
    await applyAll();
    expect(await versions(file('skiff.yaml'))).toEqual(before);
    expect(await versions(file('crds.yaml'))).toEqual(crdsBefore);
    const diff = await cluster.kubectl('diff', '--server-side', '-f', file('skiff.yaml'));
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
    // The stored CRDs are exactly the generated ones (nothing the server drops or defaults
    // in spec.versions), so another field manager applying them — helm, Flux, a person with
    // kubectl — co-owns the fields instead of conflicting.
    const other = await cluster.kubectl('apply', '--server-side', '--field-manager=another', '-f', file('crds.yaml'));
    expect(other.code, other.stderr).toBe(0);
    for (const crd of parseManifests(await readFile(file('crds.yaml'), 'utf8'))) {
      const live = JSON.parse((await cluster.kubectl('get', 'crd', crd.metadata.name, '-o', 'json')).stdout);
      expect(live.spec.versions, crd.metadata.name).toEqual(crd.spec.versions);
    }
    const hc: Manifest = JSON.parse(
      (await cluster.kubectl('get', 'hostconfig', 'default', '-n', DEPLOY_RELEASE.namespace, '-o', 'json')).stdout,
    );
    expect(hc.spec).toMatchObject({ replicas: 2, nats: { url: 'nats://skiff-nats.skiff-system.svc:4222' } });
  });
});
