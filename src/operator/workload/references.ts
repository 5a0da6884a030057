/**
 * What a Workload references in its namespace, and the revision that follows from it: pure
 * functions over the spec and the resourceVersions the metadata informers know. A workload
 * that names ConfigMaps or Secrets for its contents (volumes, config layers) has a revision,
 * a hash of its spec (by uid and generation, which the API server moves on every spec change:
 * an operator upgrade that parses specs differently changes no revision) and of those
 * objects' resourceVersions; a change to one of them is a new revision, rolled out like a new
 * generation. imagePullSecrets are needed for a pull only:
 * they must exist, but rotating one restarts nothing.
 */
import { createHash } from 'node:crypto';
import type { LayerRef, Workload, WorkloadSpec } from '../../api/index.js';
import { stableJson } from '../json.js';

/** RefKind is the kind of a referenced object. */
export type RefKind = 'ConfigMap' | 'Secret';

/** Reference is one object a workload names; `pull` when it is only an imagePullSecret. */
export interface Reference {
  readonly kind: RefKind;
  readonly name: string;
  /** optional: every use of the object allows it to be missing. */
  readonly optional: boolean;
  /** content: the object's data reaches the workload (a volume or a config layer). */
  readonly content: boolean;
  /** pull: the object is an imagePullSecret of some component. */
  readonly pull: boolean;
}

/** referencesOf lists the objects a spec names, each once, in a stable order. */
export function referencesOf(spec: WorkloadSpec): Reference[] {
  const found = new Map<string, { kind: RefKind; name: string; optional: boolean; content: boolean; pull: boolean }>();
  const note = (kind: RefKind, name: string, use: { optional: boolean; content: boolean }) => {
    const key = `${kind}/${name}`;
    const was = found.get(key);
    if (!was) found.set(key, { kind, name, optional: use.optional, content: use.content, pull: !use.content });
    else {
      was.optional &&= use.optional;
      was.content ||= use.content;
      was.pull ||= !use.content;
    }
  };
  const layers = (kind: RefKind, refs: readonly LayerRef[] | undefined) => {
    for (const r of refs ?? []) note(kind, r.name, { optional: r.optional ?? false, content: true });
  };
  for (const v of spec.volumes) {
    if (v.configMap) note('ConfigMap', v.configMap.name, { optional: v.configMap.optional ?? false, content: true });
    if (v.secret) note('Secret', v.secret.secretName, { optional: v.secret.optional ?? false, content: true });
  }
  const parts = [...spec.components, ...(spec.service ? [spec.service] : []), ...spec.hostInterfaces];
  for (const p of parts) {
    layers('ConfigMap', p.configFrom);
    layers('Secret', p.secretFrom);
  }
  for (const c of [...spec.components, ...(spec.service ? [spec.service] : [])]) {
    if (c.imagePullSecret) note('Secret', c.imagePullSecret, { optional: false, content: false });
  }
  return [...found.values()].sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`));
}

/** refersTo says whether a spec names the object `kind/name`. */
export function refersTo(spec: WorkloadSpec, kind: RefKind, name: string): boolean {
  return referencesOf(spec).some((r) => r.kind === kind && r.name === name);
}

/** Resolution is what the known objects say about a workload's references. */
export interface Resolution {
  /** revision is defined when the workload names objects for their contents. */
  readonly revision: string | undefined;
  /** versions are the resourceVersions the revision was computed from (`null`: absent and optional). */
  readonly versions: ReadonlyMap<string, string | null>;
  /** missing are the references that do not exist and are not optional. */
  readonly missing: readonly Reference[];
}

/** REVISION_LENGTH is how many hex digits of the sha256 a revision keeps. */
export const REVISION_LENGTH = 16;

/**
 * resolve computes a workload's revision from its spec and `versionOf(kind, name)` (the
 * object's resourceVersion, undefined when it does not exist), and lists what is missing.
 */
export function resolve(
  workload: Workload,
  versionOf: (kind: RefKind, name: string) => string | undefined,
): Resolution {
  const refs = referencesOf(workload.spec);
  const versions = new Map<string, string | null>();
  const missing: Reference[] = [];
  for (const r of refs) {
    const rv = versionOf(r.kind, r.name);
    if (rv === undefined && !r.optional) missing.push(r);
    if (r.content) versions.set(`${r.kind}/${r.name}`, rv ?? null);
  }
  if (versions.size === 0) return { revision: undefined, versions, missing };
  const { uid, generation } = workload.metadata;
  const hash = createHash('sha256')
    .update(stableJson({ uid, generation: generation ?? 1, objects: [...versions.entries()] }))
    .digest('hex');
  return { revision: hash.slice(0, REVISION_LENGTH), versions, missing };
}

/** missingMessage says which objects are missing, for the Ready condition. */
export function missingMessage(namespace: string, missing: readonly Reference[]): string {
  const names = missing.map((r) => `${r.kind} ${r.name}`);
  const shown = names.length > 5 ? [...names.slice(0, 5), `${names.length - 5} more`] : names;
  return `${shown.join(', ')} not found in namespace ${namespace}`;
}
