/**
 * MetadataPoller follows named objects of one resource by polling: a metadata-only GET
 * (`PartialObjectMetadata`: no data crosses the wire) of each wanted object every `pollMs`.
 * It needs `get` only, so an operator that may not list or watch Secrets (the chart's
 * stance: it cannot enumerate them) still sees a referenced Secret change within one period.
 * An object it has not read yet is unknown, not absent.
 */
import type { Logger } from '../../telemetry/logger.js';
import { type Kube, type ResourceRef, splitKey } from '../kube/index.js';

/** DEFAULT_POLL_MS is how often a wanted object is read again. */
export const DEFAULT_POLL_MS = 10_000;

/** MetadataPollerOptions configure a poller. */
export interface MetadataPollerOptions {
  readonly kube: Kube;
  readonly resource: ResourceRef;
  readonly logger: Logger;
  /** onChange gets the key (`namespace/name`) of an object first read, changed, created or deleted. */
  readonly onChange: (key: string) => void;
  readonly pollMs?: number | undefined;
}

interface Known {
  /** rv is the resourceVersion, null when the object does not exist, undefined until read. */
  rv: string | null | undefined;
  /** wantedAt is when the object was first asked for (ms). */
  wantedAt: number;
  /** failing is the last error of reading it, if the last read failed. */
  failing?: string | undefined;
}

/** MetadataPoller knows the resourceVersions of the objects it was asked about. */
export class MetadataPoller {
  readonly #o: MetadataPollerOptions;
  readonly #known = new Map<string, Known>();
  readonly #reading = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: MetadataPollerOptions) {
    this.#o = options;
  }

  /** start reads every wanted object every period. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      for (const key of this.#known.keys()) void this.#read(key);
    }, this.#o.pollMs ?? DEFAULT_POLL_MS);
    this.#timer.unref();
  }

  /** stop ends polling. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * versionOf is the resourceVersion of `key`: a string, null when it does not exist, or
   * undefined while it has not been read (the first read starts now).
   */
  versionOf(key: string): string | null | undefined {
    const known = this.#known.get(key);
    if (known) return known.rv;
    this.#known.set(key, { rv: undefined, wantedAt: Date.now() });
    void this.#read(key);
    return undefined;
  }

  /** problem says why `key` is still unknown after `graceMs`, if it is. */
  problem(key: string, graceMs: number): string | undefined {
    const known = this.#known.get(key);
    if (!known || known.rv !== undefined || Date.now() - known.wantedAt < graceMs) return undefined;
    return known.failing ?? 'not read yet';
  }

  /** retain forgets every object not in `keys` (no longer named by any workload). */
  retain(keys: ReadonlySet<string>): void {
    for (const key of [...this.#known.keys()]) if (!keys.has(key)) this.#known.delete(key);
  }

  async #read(key: string): Promise<void> {
    if (this.#reading.has(key)) return;
    this.#reading.add(key);
    const { namespace, name } = splitKey(key);
    try {
      const obj = await this.#o.kube.get(this.#o.resource, namespace, name, { metadataOnly: true });
      const known = this.#known.get(key);
      if (!known) return;
      const rv = obj?.metadata.resourceVersion ?? null;
      known.failing = undefined;
      if (known.rv === rv) return;
      known.rv = rv;
      this.#o.onChange(key);
    } catch (err) {
      const known = this.#known.get(key);
      if (known) known.failing = (err as Error).message;
      this.#o.logger.warn({ key, err: (err as Error).message }, `cannot read ${this.#o.resource.kind}`);
    } finally {
      this.#reading.delete(key);
    }
  }
}
