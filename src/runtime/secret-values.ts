/**
 * The values a start gives its `wasmcloud:secrets` grants, as bytes: each grant's literal
 * `config`, then its `configFrom` ConfigMaps, then its `secretFrom` Secrets (a later layer
 * wins, as for every other config layer). They are copied out of the start's sources into
 * buffers the workload owns, handed to the secrets plugin, and zeroed when the workload
 * stops. Errors name objects and keys, never values.
 */
import type { HostInterface, LayerRef, Workload } from '../api/index.js';
import { type ConfigSources, isSecretsGrant, type SourceKind } from './sources.js';

/** grantKey identifies a grant within a workload (grants are unique by namespace, package and version). */
function grantKey(grant: Pick<HostInterface, 'namespace' | 'package' | 'version'>): string {
  return `${grant.namespace}:${grant.package}@${grant.version ?? ''}`;
}

/** SecretValues holds the secret bytes of one start's `wasmcloud:secrets` grants until `wipe`. */
export class SecretValues {
  readonly #byGrant = new Map<string, Map<string, Uint8Array>>();
  #wiped = false;

  /**
   * resolve copies the layers of every `wasmcloud:secrets` grant of `workload` out of
   * `sources`. A Secret or ConfigMap the start did not bring, or one that is missing and not
   * `optional`, throws ConfigNotFoundError naming it.
   */
  static resolve(workload: Workload, sources: ConfigSources): SecretValues {
    const out = new SecretValues();
    try {
      for (const grant of workload.spec.hostInterfaces.filter(isSecretsGrant)) {
        const values = new Map<string, Uint8Array>();
        out.#byGrant.set(grantKey(grant), values);
        const encoder = new TextEncoder();
        for (const [key, text] of Object.entries(grant.config ?? {})) put(values, key, encoder.encode(text));
        copyLayers(values, sources, 'ConfigMap', grant.configFrom);
        copyLayers(values, sources, 'Secret', grant.secretFrom);
      }
    } catch (err) {
      out.wipe();
      throw err;
    }
    return out;
  }

  /** forGrant returns the values of a `wasmcloud:secrets` grant (the host's buffers: read them, never keep them). */
  forGrant(grant: Pick<HostInterface, 'namespace' | 'package' | 'version'>): ReadonlyMap<string, Uint8Array> {
    return this.#byGrant.get(grantKey(grant)) ?? new Map();
  }

  /** wiped tells whether `wipe` ran: the values are gone. */
  get wiped(): boolean {
    return this.#wiped;
  }

  /** wipe zeroes every value and forgets them; later reads find nothing. */
  wipe(): void {
    this.#wiped = true;
    for (const values of this.#byGrant.values()) {
      for (const bytes of values.values()) bytes.fill(0);
      values.clear();
    }
    this.#byGrant.clear();
  }
}

function put(values: Map<string, Uint8Array>, key: string, bytes: Uint8Array): void {
  values.get(key)?.fill(0);
  values.set(key, bytes);
}

function copyLayers(
  values: Map<string, Uint8Array>,
  sources: ConfigSources,
  kind: SourceKind,
  refs: readonly LayerRef[] | undefined,
): void {
  for (const ref of refs ?? []) {
    const data = sources.get(kind, ref.name, ref.optional ?? false);
    for (const [key, bytes] of data ?? []) put(values, key, Uint8Array.from(bytes));
  }
}
