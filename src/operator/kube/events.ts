/**
 * Kubernetes Events (events.k8s.io/v1) about the objects the operator manages. Recording is
 * fire-and-forget; a repeat of the same (object, type, reason, action, note) within the
 * window bumps the existing Event's series instead of creating another.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../telemetry/logger.js';
import type { Kube } from './client.js';
import { isKubeError } from './errors.js';
import { EVENTS, type KubeObject, microTime } from './resources.js';

/** EventRecorderOptions configure an EventRecorder. */
export interface EventRecorderOptions {
  kube: Kube;
  /** reportingController of every Event, e.g. `skiff-operator`. */
  controller: string;
  /** reportingInstance: which operator process (pod name). */
  instance: string;
  logger: Logger;
  /** A repeat within this long of the last one bumps the series (default 5 min). */
  windowMs?: number;
  /** How many distinct events are remembered for series (default 1000, oldest dropped). */
  maxTracked?: number;
  now?: () => number;
}

/** NOTE_MAX_BYTES is the API server's limit on an Event's note. */
export const NOTE_MAX_BYTES = 1024;

type Tracked = { namespace: string; name: string; count: number; lastAt: number };

/** truncateBytes shortens `text` to at most `max` UTF-8 bytes, marking a cut with '…'. */
export function truncateBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  const cut = Buffer.from(text)
    .subarray(0, max - 3)
    .toString('utf8');
  return `${cut.replace(/\uFFFD+$/, '')}…`;
}

/** EventRecorder writes Events about objects, merging repeats into a series. */
export class EventRecorder {
  readonly #o: EventRecorderOptions;
  readonly #now: () => number;
  readonly #tracked = new Map<string, Tracked>();
  readonly #chains = new Map<string, Promise<void>>();

  constructor(options: EventRecorderOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * record writes an Event about `regarding` (which needs apiVersion and kind, as objects
   * from Kube and Informer have). It never throws: failures are logged.
   */
  record(regarding: KubeObject, type: 'Normal' | 'Warning', reason: string, note: string, action: string): void {
    const meta = regarding.metadata;
    if (!regarding.apiVersion || !regarding.kind) {
      this.#o.logger.error({ name: meta.name, reason }, 'event not recorded: regarding object lacks apiVersion/kind');
      return;
    }
    const body = {
      type,
      reason: reason.slice(0, 128),
      action: action.slice(0, 128),
      note: truncateBytes(note, NOTE_MAX_BYTES),
    };
    const key = JSON.stringify([
      meta.uid ?? `${meta.namespace}/${meta.name}`,
      body.type,
      body.reason,
      body.action,
      body.note,
    ]);
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.#write(key, regarding, body))
      .catch((err) => this.#o.logger.warn({ reason, name: meta.name, err: String(err) }, 'recording event failed'))
      .finally(() => {
        if (this.#chains.get(key) === next) this.#chains.delete(key);
      });
    this.#chains.set(key, next);
  }

  /** flush waits until every Event recorded so far has been written (or failed). */
  async flush(): Promise<void> {
    await Promise.all([...this.#chains.values()]);
  }

  async #write(key: string, regarding: KubeObject, body: Record<string, string>): Promise<void> {
    const now = this.#now();
    const seen = this.#tracked.get(key);
    const window = this.#o.windowMs ?? 5 * 60_000;
    if (seen && now - seen.lastAt <= window) {
      const series = { count: seen.count + 1, lastObservedTime: microTime(now) };
      try {
        await this.#o.kube.patch(EVENTS, seen.namespace, seen.name, { series });
        this.#remember(key, { ...seen, count: series.count, lastAt: now });
        return;
      } catch (err) {
        if (!isKubeError(err, 'SKIFF_KUBE_NOT_FOUND')) throw err;
      }
    }
    const meta = regarding.metadata;
    const namespace = meta.namespace || 'default';
    const name = `${meta.name.slice(0, 230)}.${randomBytes(8).toString('hex')}`;
    await this.#o.kube.create(EVENTS, {
      metadata: { name, namespace },
      eventTime: microTime(now),
      reportingController: this.#o.controller,
      reportingInstance: this.#o.instance.slice(0, 128),
      ...body,
      regarding: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
    });
    this.#remember(key, { namespace, name, count: 1, lastAt: now });
  }

  #remember(key: string, entry: Tracked): void {
    this.#tracked.delete(key);
    this.#tracked.set(key, entry);
    const max = this.#o.maxTracked ?? 1000;
    while (this.#tracked.size > max) {
      const oldest = this.#tracked.keys().next().value;
      if (oldest === undefined) break;
      this.#tracked.delete(oldest);
    }
  }
}
