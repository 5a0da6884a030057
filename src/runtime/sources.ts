/**
 * The ConfigMaps and Secrets a start brought along (resolved by the operator), and the config
 * layers built from them: each `config` map is overlaid by its `configFrom` ConfigMaps, then
 * its `secretFrom` Secrets, each list in order, so a later layer wins (wasmCloud's order).
 * Values are secret: errors name objects and keys, never values.
 */
import type { HostInterface, LayerRef, Workload } from '../api/index.js';
import { SkiffError } from './errors.js';

/** SourceKind is the kind of a referenced object. */
export type SourceKind = 'ConfigMap' | 'Secret';

/** SourceData is one object's keys and their bytes. */
export type SourceData = ReadonlyMap<string, Uint8Array>;

/** ConfigNotFoundError means the start did not bring a referenced object the workload needs. */
export class ConfigNotFoundError extends SkiffError {
  constructor(message: string) {
    super('SKIFF_CONFIG_NOT_FOUND', message);
  }
}

/** ConfigInvalidError means a referenced object cannot be used as the workload asks. */
export class ConfigInvalidError extends SkiffError {
  constructor(message: string) {
    super('SKIFF_CONFIG_INVALID', message);
  }
}

/** ConfigSources holds the objects of one start: present (with data), known absent, or not brought at all. */
export class ConfigSources {
  readonly #objects = new Map<string, SourceData | null>();

  /** add records an object's data, or `null` for an object known not to exist. */
  add(kind: SourceKind, name: string, data: SourceData | null): this {
    this.#objects.set(`${kind}/${name}`, data);
    return this;
  }

  /**
   * get returns an object's data; `undefined` when it does not exist and `optional` allows
   * that. A missing object that is not optional, or one the start did not bring, throws.
   */
  get(kind: SourceKind, name: string, optional: boolean): SourceData | undefined {
    const key = `${kind}/${name}`;
    if (!this.#objects.has(key)) {
      throw new ConfigNotFoundError(
        `${kind} ${name} was not sent with the start (ConfigMaps and Secrets are resolved by the operator)`,
      );
    }
    const data = this.#objects.get(key) ?? undefined;
    if (data === undefined && !optional) throw new ConfigNotFoundError(`${kind} ${name} does not exist`);
    return data;
  }

  /** size is the number of objects the start brought. */
  get size(): number {
    return this.#objects.size;
  }

  /** wipe zeroes every value's bytes and forgets the objects (the start is done with them). */
  wipe(): void {
    for (const data of this.#objects.values()) for (const bytes of data?.values() ?? []) bytes.fill(0);
    this.#objects.clear();
  }
}

/**
 * isSecretsGrant says whether a host interface grants `wasmcloud:secrets`: its layers are
 * served as bytes by the secrets plugin (SecretValues) and never merged into its `config`.
 */
export function isSecretsGrant(h: Pick<HostInterface, 'namespace' | 'package'>): boolean {
  return h.namespace === 'wasmcloud' && h.package === 'secrets';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function layer(
  sources: ConfigSources,
  kind: SourceKind,
  refs: readonly LayerRef[] | undefined,
  into: Record<string, string>,
): void {
  for (const ref of refs ?? []) {
    const data = sources.get(kind, ref.name, ref.optional ?? false);
    for (const [key, bytes] of data ?? []) {
      try {
        into[key] = utf8.decode(bytes);
      } catch {
        throw new ConfigInvalidError(`${kind} ${ref.name}: the value of key "${key}" is not UTF-8 text`);
      }
    }
  }
}

interface Layered {
  config?: Record<string, string> | undefined;
  configFrom?: readonly LayerRef[] | undefined;
  secretFrom?: readonly LayerRef[] | undefined;
}

function merged<T extends Layered>(part: T, sources: ConfigSources): T {
  if (!part.configFrom?.length && !part.secretFrom?.length) return part;
  const config: Record<string, string> = { ...(part.config ?? {}) };
  layer(sources, 'ConfigMap', part.configFrom, config);
  layer(sources, 'Secret', part.secretFrom, config);
  return { ...part, config };
}

/** hasConfigLayers says whether any component or host interface of the workload names configFrom or secretFrom. */
export function hasConfigLayers(w: Workload): boolean {
  const parts: Layered[] = [
    ...w.spec.components,
    ...(w.spec.service ? [w.spec.service] : []),
    ...w.spec.hostInterfaces,
  ];
  return parts.some((p) => (p.configFrom?.length ?? 0) > 0 || (p.secretFrom?.length ?? 0) > 0);
}

/**
 * withConfigLayers returns the workload with every component's, the service's and every host
 * interface's `config` replaced by its merged layers (the input is not changed). A
 * `wasmcloud:secrets` grant is left as it is: its values stay bytes (SecretValues).
 */
export function withConfigLayers(w: Workload, sources: ConfigSources): Workload {
  if (!hasConfigLayers(w)) return w;
  const spec = w.spec;
  return {
    ...w,
    spec: {
      ...spec,
      components: spec.components.map((c) => merged(c, sources)),
      ...(spec.service ? { service: merged(spec.service, sources) } : {}),
      hostInterfaces: spec.hostInterfaces.map((h): HostInterface => (isSecretsGrant(h) ? h : merged(h, sources))),
    },
  };
}
