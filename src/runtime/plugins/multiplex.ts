/**
 * Named backends: one workload may grant a package several times, each entry
 * (`hostInterfaces[]`) with its own `name` and `config.backend` — say a `cache` keyvalue on
 * memory and an `orders` keyvalue on NATS. BackendSelector turns a binding's grants into a
 * routing table from instance name to backend, and a guest reaches an instance through the
 * identifier it opens (a bucket or container of that name; the unnamed entry serves every
 * other identifier). Backends that hold a connection or a directory are pooled by the
 * provider's key, so workloads with the same backend config share one. Where a backend's
 * connection or directory comes from is a host setting, never the workload's: a workload
 * cannot make the host dial an address or write a path it chose.
 */
import type { HostInterface } from '../../api/index.js';
import { SkiffError } from '../errors.js';

/** BACKEND_KEY is the grant `config` key that selects an instance's backend type. */
export const BACKEND_KEY = 'backend';

/** HOST_SETTINGS are grant `config` keys that name connections or paths; only the host may set those. */
export const HOST_SETTINGS: readonly string[] = ['url', 'root', 'path', 'dir', 'servers'];

/** BackendUnavailableError means a grant selects a backend type this host does not offer; another host may. */
export class BackendUnavailableError extends SkiffError {
  override readonly name = 'BackendUnavailableError';
  constructor(message: string) {
    super('SKIFF_BACKEND_UNAVAILABLE', message);
  }
}

/** BackendConfigError means a grant's backend config cannot be used as written (terminal until the spec changes). */
export class BackendConfigError extends SkiffError {
  override readonly name = 'BackendConfigError';
  constructor(message: string) {
    super('SKIFF_BACKEND_CONFIG', message);
  }
}

/** GrantConfig is an instance's `config` map. */
export type GrantConfig = Readonly<Record<string, string>>;

/** BackendProvider builds the backends of one type, e.g. `redis` from the host's Redis URL. */
export interface BackendProvider<B> {
  /** type is the `config.backend` value it serves. */
  readonly type: string;
  /**
   * poolKey says which instances share one backend: equal keys share (the default, one
   * backend per type per host, for connections and directories); undefined builds a
   * private backend per binding.
   */
  poolKey?(config: GrantConfig): string | undefined;
  /** create builds a backend for an instance's config. */
  create(config: GrantConfig): B | Promise<B>;
}

/** Closable is what a pooled backend must offer to be released when the host stops. */
export interface Closable {
  close?(): Promise<void>;
}

/** Routes map an instance name (`''` for the unnamed entry) to its backend. */
export interface Routes<B> {
  readonly byName: ReadonlyMap<string, B>;
  /** local tells whether every route is the default backend (so a workload thread's copy of the plugin may serve it). */
  readonly local: boolean;
  /** route returns the backend of identifier `id`: the instance of that name, else the unnamed one. */
  route(id: string): B | undefined;
}

/** BackendSelectorOptions configure a BackendSelector. */
export interface BackendSelectorOptions<B> {
  /** pkg names the package in messages (`wasi:keyvalue`). */
  readonly pkg: string;
  /** defaultBackend serves grants that select no backend type (or the default type). */
  readonly defaultBackend: B;
  /** defaultType is the type name of defaultBackend (`memory`, `nats`, `filesystem`, …). */
  readonly defaultType: string;
  /** providers offer the other backend types this host has. */
  readonly providers?: readonly BackendProvider<B>[];
}

/** BackendSelector resolves grants to backends and owns the pooled ones. */
export class BackendSelector<B extends Closable> {
  readonly #options: BackendSelectorOptions<B>;
  readonly #providers = new Map<string, BackendProvider<B>>();
  readonly #pool = new Map<string, Promise<B>>();

  constructor(options: BackendSelectorOptions<B>) {
    this.#options = options;
    for (const p of options.providers ?? []) this.#providers.set(p.type, p);
  }

  /** types lists the backend types this selector can serve, the default first. */
  get types(): string[] {
    return [this.#options.defaultType, ...[...this.#providers.keys()].filter((t) => t !== this.#options.defaultType)];
  }

  /** backendFor returns the backend one grant selects, creating (or sharing) it. */
  async backendFor(grant: HostInterface): Promise<B> {
    const config: GrantConfig = grant.config ?? {};
    const type = config[BACKEND_KEY] ?? this.#options.defaultType;
    const label = `${this.#options.pkg}${grant.name ? ` instance "${grant.name}"` : ''}`;
    const hostOnly = HOST_SETTINGS.filter((k) => k in config);
    if (hostOnly.length > 0)
      throw new BackendConfigError(
        `${label}: config ${hostOnly.join(', ')} cannot be set by a workload; the host's settings say where its ${type} backend is`,
      );
    if (type === this.#options.defaultType) return this.#options.defaultBackend;
    const provider = this.#providers.get(type);
    if (!provider)
      throw new BackendUnavailableError(
        `${label}: backend "${type}" is not enabled on this host (it offers ${this.types.join(', ')})`,
      );
    const key = provider.poolKey ? provider.poolKey(config) : '';
    if (key === undefined) return provider.create(config);
    const id = `${type}\u0000${key}`;
    let pooled = this.#pool.get(id);
    if (!pooled) {
      pooled = Promise.resolve().then(() => provider.create(config));
      this.#pool.set(id, pooled);
      // A failed creation is not kept: the next binding tries again.
      pooled.catch(() => this.#pool.delete(id));
    }
    return pooled;
  }

  /** routes builds the routing table of one binding from its grants. */
  async routes(grants: readonly HostInterface[]): Promise<Routes<B>> {
    const byName = new Map<string, B>();
    for (const grant of grants) byName.set(grant.name ?? '', await this.backendFor(grant));
    const local = [...byName.values()].every((b) => b === this.#options.defaultBackend);
    return { byName, local, route: (id) => byName.get(id) ?? byName.get('') };
  }

  /** close closes every pooled backend and the default one. */
  async close(): Promise<void> {
    const pooled = [...this.#pool.values()];
    this.#pool.clear();
    for (const p of pooled) await (await p.catch(() => undefined))?.close?.();
    await this.#options.defaultBackend.close?.();
  }
}
