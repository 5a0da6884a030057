/**
 * Helm and kubectl for the chart tests: `helm template` into parsed documents, helm commands
 * against the test API server with a private HELM_* home, and small manifest lookups.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KUBE_VERSION } from '../../../src/gen/index.js';
import { loadTestEnvConfig } from '../../../tools/testenv/index.js';
import { type Cluster, type Manifest, ROOT } from '../cluster.js';

/** CHART is the chart's folder. */
export const CHART = join(ROOT, 'charts', 'skiff');

/** Run is the outcome of one command. */
export type Run = { code: number; stdout: string; stderr: string };

// One folder per test file for helm's home and every scratch file, removed after the file.
const scratchDir = mkdtempSync(join(tmpdir(), 'skiff-chart-test-'));
afterAll(() => rmSync(scratchDir, { recursive: true, force: true }));
const helmHome = join(scratchDir, 'helm');
let scratchCount = 0;

/** scratch is a fresh path (file or folder name) in this test file's scratch folder. */
export function scratch(name: string): string {
  return join(scratchDir, `${++scratchCount}-${name}`);
}

/** exec runs a program with a deadline and resolves with its exit code and output. */
export function exec(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000) {
  return new Promise<Run>((resolve) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** BIN_DIR holds the test environment's helm and kubectl. */
export const BIN_DIR = loadTestEnvConfig().binDir;

/** helm runs the test environment's helm with its own HELM_* folders (against `cluster` when given). */
export function helm(cluster: Cluster | undefined, ...args: string[]): Promise<Run> {
  const target = cluster ? ['--kubeconfig', cluster.info.kubeconfig] : [];
  return exec(join(cluster?.info.binDir ?? BIN_DIR, 'helm'), [...target, ...args], {
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  });
}

/** setArgs turns `{a.b: v}` into `--set-json a.b=<json v>` arguments. */
export function setArgs(values: Record<string, unknown>): string[] {
  return Object.entries(values).flatMap(([k, v]) => ['--set-json', `${k}=${JSON.stringify(v)}`]);
}

/** template renders the chart as release `name` in `namespace` with `values` set; it throws with helm's message on failure. */
export async function template(
  cluster: Cluster | undefined,
  values: Record<string, unknown> = {},
  release = { name: 'skiff', namespace: 'skiff-system' },
): Promise<Manifest[]> {
  const r = await templateRun(cluster, values, release);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseManifests(r.stdout);
}

/** templateRun runs `helm template` and returns the raw outcome. */
export function templateRun(
  cluster: Cluster | undefined,
  values: Record<string, unknown> = {},
  release = { name: 'skiff', namespace: 'skiff-system' },
): Promise<Run> {
  return helm(
    cluster,
    'template',
    release.name,
    CHART,
    '--namespace',
    release.namespace,
    '--kube-version',
    KUBE_VERSION,
    ...setArgs(values),
  );
}

/** parseManifests parses a multi-document YAML stream, dropping empty documents. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`bad YAML: ${d.errors[0]!.message}`);
      return d.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null && typeof m === 'object');
}

/** find returns the one manifest of `kind` (and `name`, when given), or throws listing what there is. */
export function find(docs: readonly Manifest[], kind: string, name?: string): Manifest {
  const hits = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata?.name === name));
  if (hits.length !== 1) {
    const have = docs.map((d) => `${d.kind}/${d.metadata?.name}`).join(', ');
    throw new Error(`expected one ${kind}${name ? `/${name}` : ''}, found ${hits.length} among ${have}`);
  }
  return hits[0]!;
}

/** kinds lists `Kind/name` of every manifest, sorted. */
export function kinds(docs: readonly Manifest[]): string[] {
  return docs.map((d) => `${d.kind}/${d.metadata?.name}`).sort();
}

/** container returns the named container of a workload manifest's pod template. */
export function container(workload: Manifest, name: string): Manifest {
  const c = (workload.spec.template.spec.containers as Manifest[]).find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name}`);
  return c;
}

/** env maps a container's environment variables to their value or valueFrom. */
export function env(c: Manifest): Record<string, unknown> {
  return Object.fromEntries((c.env as Manifest[]).map((e) => [e.name, e.value ?? e.valueFrom]));
}
