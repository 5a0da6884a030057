/**
 * Loading what `skiff dev` and `skiff ctl start` are given: a Workload manifest (YAML or
 * JSON), or a bare `.wasm`, which runs with every in-memory capability granted.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { API_GROUP_VERSION, ManifestError, parseWorkload, type Workload } from '../api/index.js';

/** LoadedManifest is a parsed workload and the folder its relative paths resolve against. */
export interface LoadedManifest {
  readonly workload: Workload;
  readonly baseDir: string;
  /** files are the local files the workload depends on (for reloading). */
  readonly files: readonly string[];
}

/** ALL_MEMORY_GRANTS grant every capability the memory plugins provide (for a bare .wasm). */
export const ALL_MEMORY_GRANTS: Workload['spec']['hostInterfaces'] = [
  { namespace: 'wasi', package: 'keyvalue', interfaces: ['store', 'atomics', 'batch'] },
  { namespace: 'wasi', package: 'blobstore', interfaces: ['blobstore', 'container', 'types'] },
  { namespace: 'wasi', package: 'config', interfaces: ['store'] },
  { namespace: 'wasi', package: 'logging', interfaces: ['logging'] },
  { namespace: 'wasmcloud', package: 'messaging', interfaces: ['consumer', 'handler', 'types'] },
  { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler', 'outgoing-handler'] },
  { namespace: 'wasi', package: 'otel', interfaces: ['tracing', 'metrics', 'logs', 'types'] },
];

function workloadName(file: string): string {
  const name = basename(file)
    .replace(/\.wasm$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return name || 'component';
}

/** loadManifest reads a Workload manifest or a .wasm file. */
export async function loadManifest(path: string): Promise<LoadedManifest> {
  const file = resolve(path);
  const baseDir = dirname(file);
  if (file.endsWith('.wasm')) {
    const name = workloadName(file);
    const workload = parseWorkload(
      {
        apiVersion: API_GROUP_VERSION,
        kind: 'Workload',
        metadata: { name, namespace: 'default' },
        spec: { components: [{ name, image: `file://${file}` }], hostInterfaces: ALL_MEMORY_GRANTS },
      },
      file,
    );
    return { workload, baseDir, files: [file] };
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ManifestError(file, [{ path: '(file)', message: `cannot read: ${(err as Error).message}` }]);
  }
  const docs = parseAllDocuments(text).filter((d) => d.contents !== null);
  if (docs.length === 0) throw new ManifestError(file, [{ path: '(root)', message: 'the file holds no document' }]);
  const errors = docs.flatMap((d) => d.errors);
  if (errors.length > 0) {
    throw new ManifestError(
      file,
      errors.map((e) => ({ path: `(line ${e.linePos?.[0]?.line ?? '?'})`, message: e.message.split('\n')[0]! })),
    );
  }
  const workloads = docs.map((d) => d.toJS() as unknown).filter((d) => (d as { kind?: unknown })?.kind === 'Workload');
  if (workloads.length !== 1) {
    throw new ManifestError(file, [
      { path: 'kind', message: `expected exactly one Workload document, found ${workloads.length}` },
    ]);
  }
  const workload = parseWorkload(workloads[0], file);
  const files = [file];
  for (const c of workload.spec.components) {
    if (c.image.startsWith('file://')) {
      const rest = c.image.slice('file://'.length);
      files.push(rest.startsWith('/') ? rest : resolve(baseDir, rest));
    }
  }
  return { workload, baseDir, files };
}
