/**
 * Installs the minimal third-party CRDs of `schemas/` (Argo CD, Flux, Prometheus Operator)
 * into the test API server, so their objects are validated by the server's structural
 * schema checks like any other.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { apply, type Cluster, waitFor } from '../cluster.js';

const DIR = join(import.meta.dirname, 'schemas');

/** installCrdFile applies one CRD from schemas/ and waits until it is Established. */
export async function installCrdFile(cluster: Cluster, file: string): Promise<void> {
  const crd = parse(readFileSync(join(DIR, file), 'utf8'));
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`;
  const res = await apply(cluster.http, path, crd);
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`installing ${file} failed (${res.status}): ${res.text}`);
  await waitFor(`CRD ${crd.metadata.name} Established`, async () => {
    const got = await cluster.http.send('GET', path);
    const conditions: { type: string; status: string }[] = got.body?.status?.conditions ?? [];
    return conditions.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
  });
}

/** installServiceMonitorCrd installs the ServiceMonitor CRD. */
export function installServiceMonitorCrd(cluster: Cluster): Promise<void> {
  return installCrdFile(cluster, 'servicemonitor.yaml');
}

/** installGitOpsCrds installs Argo CD's Application and Flux's HelmRelease and GitRepository CRDs. */
export async function installGitOpsCrds(cluster: Cluster): Promise<void> {
  for (const f of ['argocd-application.yaml', 'flux-helmrelease.yaml', 'flux-gitrepository.yaml']) {
    await installCrdFile(cluster, f);
  }
}
