/**
 * Local Secrets for `skiff dev --secrets FILE`: Kubernetes Secret documents (`data` in base64
 * and/or `stringData`, as `kubectl create secret ... -o yaml` writes them) read from a file
 * and handed to each start like the operator's resolved Secrets, so a manifest naming
 * `secretFrom` or a secret volume runs unchanged on a laptop. Errors name the file, the
 * Secret and the key, never a value.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import type { Workload } from '../api/index.js';
import { ConfigSources } from '../runtime/sources.js';

/** MAX_SECRETS_FILE_BYTES bounds a secrets file (a Secret holds at most 1 MiB in Kubernetes). */
export const MAX_SECRETS_FILE_BYTES = 8 * 2 ** 20;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const secretDocSchema = z
  .object({
    apiVersion: z.literal('v1'),
    kind: z.literal('Secret'),
    metadata: z.object({ name: z.string().min(1).max(253) }).loose(),
    type: z.string().optional(),
    data: z.record(z.string(), z.string().regex(BASE64, 'must be base64')).optional(),
    stringData: z.record(z.string(), z.string()).optional(),
  })
  .loose();

/** SecretsFileError means a secrets file cannot be used; its message names the file and what is wrong. */
export class SecretsFileError extends Error {
  override readonly name = 'SecretsFileError';
  readonly code = 'SKIFF_SECRETS_FILE';
}

/** LocalSecrets maps Secret names to their keys and bytes. */
export type LocalSecrets = ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>;

/** loadSecretsFile reads every Secret document of `path` (other kinds are skipped; a name twice is an error). */
export async function loadSecretsFile(path: string): Promise<LocalSecrets> {
  let text: string;
  try {
    const size = (await stat(path)).size;
    if (size > MAX_SECRETS_FILE_BYTES) throw new Error(`${size} bytes, at most ${MAX_SECRETS_FILE_BYTES}`);
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SecretsFileError(`secrets file ${path}: cannot read: ${(err as Error).message}`);
  }
  const out = new Map<string, Map<string, Uint8Array>>();
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new SecretsFileError(`secrets file ${path}: not YAML (line ${doc.errors[0]?.linePos?.[0]?.line ?? '?'})`);
    }
    const value = doc.toJS() as unknown;
    if ((value as { kind?: unknown } | null)?.kind !== 'Secret') continue;
    const parsed = secretDocSchema.safeParse(value);
    if (!parsed.success) {
      // zod's messages name paths and rules; issue.input would hold a value, so it is not used.
      const issue = parsed.error.issues[0]!;
      throw new SecretsFileError(`secrets file ${path}: ${issue.path.join('.')}: ${issue.message}`);
    }
    const secret = parsed.data;
    if (out.has(secret.metadata.name)) {
      throw new SecretsFileError(`secrets file ${path}: Secret ${secret.metadata.name} appears twice`);
    }
    const data = new Map<string, Uint8Array>();
    for (const [key, b64] of Object.entries(secret.data ?? {}))
      data.set(key, new Uint8Array(Buffer.from(b64, 'base64')));
    // As the API server does: stringData wins over data for the same key.
    for (const [key, s] of Object.entries(secret.stringData ?? {})) data.set(key, new TextEncoder().encode(s));
    out.set(secret.metadata.name, data);
  }
  return out;
}

/** secretNamesOf lists the Secrets a workload names for their contents (secretFrom layers and secret volumes). */
export function secretNamesOf(workload: Workload): string[] {
  const { spec } = workload;
  const names = new Set<string>();
  for (const part of [...spec.components, ...(spec.service ? [spec.service] : []), ...spec.hostInterfaces]) {
    for (const ref of part.secretFrom ?? []) names.add(ref.name);
  }
  for (const v of spec.volumes) if (v.secret) names.add(v.secret.secretName);
  return [...names].sort();
}

/**
 * localSources builds a start's sources from local Secrets: each Secret the workload names,
 * with a fresh copy of its bytes (the host zeroes them after the start), or known absent when
 * the files do not hold it (so `optional` works and a required one fails naming it).
 */
export function localSources(workload: Workload, secrets: LocalSecrets): ConfigSources {
  const sources = new ConfigSources();
  for (const name of secretNamesOf(workload)) {
    const data = secrets.get(name);
    sources.add('Secret', name, data ? new Map([...data].map(([k, v]) => [k, Uint8Array.from(v)])) : null);
  }
  return sources;
}
