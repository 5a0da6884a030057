/**
 * Access to the test API server for the tests in this folder: the shared server from the
 * global setup (test/setup/kube.ts) when it is wired, else one started for this file.
 * Also: CRD installation, fresh namespaces, kubectl, and waiting on conditions.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { parse } from 'yaml';
import { KubeHttp, loadTestEnvConfig, startTestEnv, type TestEnvInfo } from '../../tools/testenv/index.js';
import { waitFor } from '../support/wait.js';

export { waitFor };

/** ROOT is the repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** GROUP_PATH is the API path prefix of Skiff resources. */
export const GROUP_PATH = '/apis/runtime.skiff.dev/v1alpha1';

/** Cluster is a connection to the test API server. */
export type Cluster = {
  info: TestEnvInfo;
  http: KubeHttp;
  kubectl: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  release: () => Promise<void>;
};

/** connect returns the shared test API server, or starts one for this file when none is provided. */
export async function connect(): Promise<Cluster> {
  let provided: { info?: TestEnvInfo; error?: string } | undefined;
  try {
    provided = inject('skiffKube' as never) as typeof provided;
  } catch {
    provided = undefined;
  }
  if (provided?.error) throw new Error(provided.error);
  let info = provided?.info;
  let release = async () => {};
  if (!info) {
    const env = await startTestEnv(loadTestEnvConfig());
    info = env;
    release = env.stop;
  }
  const http = new KubeHttp(info.credentials);
  const kubeconfig = info.kubeconfig;
  const kubectl = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(join(info.binDir, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  return {
    info,
    http,
    kubectl,
    release: async () => {
      http.close();
      await release();
    },
  };
}


/** crdManifests reads the generated CRDs from crds/. */
export function crdManifests(): { metadata: { name: string } }[] {
  return readdirSync(join(ROOT, 'crds'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parse(readFileSync(join(ROOT, 'crds', f), 'utf8')));
}

/** apply server-side-applies `obj` at `path` (the object's own URL) and returns the response. */
export function apply(http: KubeHttp, path: string, obj: unknown, manager = 'skiff-test') {
  return http.send(
    'PATCH',
    `${path}?fieldManager=${manager}&force=true&fieldValidation=Strict`,
    obj,
    'application/apply-patch+yaml',
  );
}

/** installCrds applies every generated CRD and waits until each is Established. */
export async function installCrds(cluster: Cluster): Promise<void> {
  for (const crd of crdManifests()) {
    const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`;
    const res = await apply(cluster.http, path, crd);
    if (res.status !== 200 && res.status !== 201) {
      throw new Error(`installing ${crd.metadata.name} failed (${res.status}): ${res.body?.message ?? res.text}`);
    }
  }
  for (const crd of crdManifests()) {
    await waitFor(`CRD ${crd.metadata.name} to be Established`, async () => {
      const res = await cluster.http.send(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      );
      const conditions: { type: string; status: string }[] = res.body?.status?.conditions ?? [];
      return conditions.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });
  }
}

/** Manifest is a Kubernetes object as tests build and mutate it. */
// biome-ignore lint/suspicious/noExplicitAny: tests mutate arbitrary manifest fields.
export type Manifest = Record<string, any>;

/** sample reads a manifest from deploy/samples/. */
export function sample(name: string): Manifest {
  return parse(readFileSync(join(ROOT, 'deploy', 'samples', name), 'utf8'));
}

/** createNamespace creates a fresh namespace with a random name and returns the name. */
export async function createNamespace(cluster: Cluster, prefix = 'test'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const res = await cluster.http.send('POST', '/api/v1/namespaces', { metadata: { name } });
  if (res.status !== 201) throw new Error(`creating namespace ${name} failed (${res.status}): ${res.text}`);
  return name;
}

/** resourcePath is the URL of a Skiff object (or of its collection when `name` is omitted). */
export function resourcePath(plural: string, namespace: string, name?: string): string {
  return `${GROUP_PATH}/namespaces/${namespace}/${plural}${name ? `/${name}` : ''}`;
}
