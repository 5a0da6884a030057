/**
 * What a start carries besides the Workload (ADR 0016): the referenced ConfigMaps and Secrets,
 * read with a GET when starts are about to be sent (never cached), and the credentials of its
 * imagePullSecrets for the registry each component pulls from. Contents beyond
 * INLINE_SOURCES_MAX_BYTES are sealed into the NATS Object Store and sent by digest.
 * Nothing here logs, records or reports a value.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { INLINE_SOURCES_MAX_BYTES, type PullCredential, type Source, type Workload } from '../../api/index.js';
import { putSealed, type StartExtras, seal } from '../../nats/index.js';
import { CONFIGMAPS, type Kube, SECRETS } from '../kube/index.js';
import { credentialsIn, registryOf } from './pull-secrets.js';
import { type Reference, type Resolution, referencesOf } from './references.js';

/** StaleReferenceError means an object changed since the revision was computed: reconcile again shortly. */
export class StaleReferenceError extends Error {
  override readonly name = 'StaleReferenceError';
  readonly code = 'SKIFF_CONFIG_STALE';
}

/** ReferenceNotFoundError means a required object vanished after the revision was computed. */
export class ReferenceNotFoundError extends Error {
  override readonly name = 'ReferenceNotFoundError';
  readonly code = 'SKIFF_CONFIG_NOT_FOUND';
}

const objectSchema = z.looseObject({
  data: z.record(z.string(), z.string()).optional(),
  binaryData: z.record(z.string(), z.string()).optional(),
});

/** PayloadOptions are what building a payload needs. */
export interface PayloadOptions {
  readonly kube: Kube;
  /** nc stores sealed contents; without it, contents that do not fit inline fail the payload. */
  readonly nc?: NatsConnection | undefined;
  /** namespaceNats, in account mode (ADR 0022), gives the namespace account's connection to store them with instead. */
  readonly namespaceNats?: ((namespace: string) => Promise<NatsConnection>) | undefined;
  /** inlineMaxBytes overrides INLINE_SOURCES_MAX_BYTES (tests). */
  readonly inlineMaxBytes?: number | undefined;
}

async function readSource(o: PayloadOptions, ns: string, ref: Reference, resolution: Resolution): Promise<Source> {
  const obj = await o.kube.get(ref.kind === 'ConfigMap' ? CONFIGMAPS : SECRETS, ns, ref.name);
  const expected = resolution.versions.get(`${ref.kind}/${ref.name}`);
  if ((obj?.metadata.resourceVersion ?? null) !== expected) {
    throw new StaleReferenceError(`${ref.kind} ${ref.name} changed since the revision was computed`);
  }
  if (!obj) return { kind: ref.kind, name: ref.name, absent: true };
  const parsed = objectSchema.safeParse(obj);
  if (!parsed.success) throw new StaleReferenceError(`${ref.kind} ${ref.name} is malformed`);
  const data: Record<string, string> = {};
  if (ref.kind === 'ConfigMap') {
    for (const [k, v] of Object.entries(parsed.data.data ?? {})) data[k] = Buffer.from(v, 'utf8').toString('base64');
    Object.assign(data, parsed.data.binaryData ?? {});
  } else Object.assign(data, parsed.data.data ?? {});
  return { kind: ref.kind, name: ref.name, data };
}

function inlineSize(s: Source): number {
  return s.data ? Object.entries(s.data).reduce((n, [k, v]) => n + k.length + v.length, 0) : 0;
}

/** offload seals the largest sources into the Object Store until the inline rest fits. */
async function offload(o: PayloadOptions, ns: string, sources: Source[]): Promise<Source[]> {
  const max = o.inlineMaxBytes ?? INLINE_SOURCES_MAX_BYTES;
  let total = sources.reduce((n, s) => n + inlineSize(s), 0);
  const out = [...sources];
  const bySize = out.map((s, i) => ({ i, size: inlineSize(s) })).sort((a, b) => b.size - a.size);
  for (const { i, size } of bySize) {
    if (total <= max || size === 0) break;
    const s = out[i]!;
    const nc = o.namespaceNats ? await o.namespaceNats(ns) : o.nc;
    if (!nc) throw new StaleReferenceError(`${s.kind} ${s.name} is too large to send inline and no NATS store is set`);
    const sealed = seal(new TextEncoder().encode(JSON.stringify({ data: s.data })));
    out[i] = { kind: s.kind, name: s.name, stored: await putSealed(nc, ns, sealed) };
    total -= size;
  }
  return out;
}

async function pullCredentials(o: PayloadOptions, w: Workload): Promise<PullCredential[]> {
  const ns = w.metadata.namespace ?? 'default';
  const out: PullCredential[] = [];
  for (const c of [...w.spec.components, ...(w.spec.service ? [w.spec.service] : [])]) {
    if (!c.imagePullSecret) continue;
    const registry = registryOf(c.image);
    if (!registry) continue;
    const secret = await o.kube.get(SECRETS, ns, c.imagePullSecret);
    if (!secret) throw new ReferenceNotFoundError(`Secret ${c.imagePullSecret} not found in namespace ${ns}`);
    const creds = credentialsIn(secret, registry);
    if (creds) out.push({ component: c.name, registry, ...creds });
  }
  return out;
}

/**
 * buildPayload reads everything a start of `w` at `resolution` needs. It throws
 * StaleReferenceError when an object no longer matches the resolution (reconcile again),
 * ReferenceNotFoundError or PullSecretError when a pull secret is missing or unusable.
 */
export async function buildPayload(o: PayloadOptions, w: Workload, resolution: Resolution): Promise<StartExtras> {
  const ns = w.metadata.namespace ?? 'default';
  const refs = referencesOf(w.spec);
  const sources: Source[] = [];
  for (const ref of refs.filter((r) => r.content)) sources.push(await readSource(o, ns, ref, resolution));
  const credentials = refs.some((r) => r.pull) ? await pullCredentials(o, w) : [];
  return {
    ...(resolution.revision !== undefined ? { revision: resolution.revision } : {}),
    ...(sources.length > 0 ? { sources: await offload(o, ns, sources) } : {}),
    ...(credentials.length > 0 ? { pullCredentials: credentials } : {}),
  };
}
