/**
 * A keyed work queue in the manner of client-go's: a key waits at most once, one handler
 * runs per key at a time (a key added meanwhile runs once more afterwards), failures retry
 * with per-key exponential backoff, TerminalError is not retried, `requeueAfterMs` comes
 * back later, and an optional resync re-adds every key periodically. Timers are unref'd.
 */
import type { Logger } from '../../telemetry/logger.js';
import { exponentialDelay } from './backoff.js';
import type { KubeMetrics } from './metrics.js';

/** ReconcileResult is what a handler may return: come back after `requeueAfterMs` even though it succeeded. */
export interface ReconcileResult {
  requeueAfterMs?: number | undefined;
}

/** TerminalError is a failure a retry cannot fix (the spec is wrong): the key is not retried until added again. */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  readonly code = 'SKIFF_TERMINAL';
}

/** WorkQueueOptions configure a WorkQueue. */
export interface WorkQueueOptions {
  /** First retry delay after a failure (default 100 ms), doubling per failure… */
  baseDelayMs?: number;
  /** …up to this (default 30 s). */
  maxDelayMs?: number;
  /** Re-add every key of `resyncKeys()` this often (off when absent). */
  resyncMs?: number | undefined;
  resyncKeys?: (() => string[]) | undefined;
  logger: Logger;
  metrics?: KubeMetrics | undefined;
  /** Name used in logs and metric labels (default `default`). */
  name?: string;
}

/** WorkQueue hands keys to handlers with the guarantees described at the top of this file. */
export class WorkQueue {
  readonly #base: number;
  readonly #max: number;
  readonly #options: WorkQueueOptions;
  readonly #name: string;
  readonly #logger: Logger;
  readonly #ready = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #failures = new Map<string, number>();
  #idle: (() => void)[] = [];
  #workers: Promise<void>[] = [];
  #resync: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: WorkQueueOptions) {
    this.#options = options;
    this.#base = options.baseDelayMs ?? 100;
    this.#max = options.maxDelayMs ?? 30_000;
    this.#name = options.name ?? 'default';
    this.#logger = options.logger.child({ queue: this.#name });
  }

  /** depth is how many keys are ready and waiting for a worker. */
  get depth(): number {
    return this.#ready.size;
  }

  #gauge(): void {
    this.#options.metrics?.queueDepth.set({ queue: this.#name }, this.#ready.size);
  }

  /** add queues `key` unless it is already waiting; a key being processed runs once more afterwards. */
  add(key: string): void {
    if (this.#stopped || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#ready.add(key);
    this.#gauge();
    this.#idle.shift()?.();
  }

  /** addAfter adds `key` after `ms` (the earlier wins when it is already scheduled). */
  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + ms;
    const pending = this.#delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.#delayed.set(key, { at, timer });
  }

  /** forget resets the failure count (and so the backoff) of `key`. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** run starts `workers` loops handing keys to `handler`; call it once. */
  run(handler: (key: string) => Promise<ReconcileResult | undefined>, workers = 1): void {
    if (this.#workers.length > 0) throw new Error('WorkQueue.run called twice');
    for (let i = 0; i < Math.max(1, workers); i++) this.#workers.push(this.#work(handler));
    const { resyncMs, resyncKeys } = this.#options;
    if (resyncMs && resyncMs > 0 && resyncKeys) {
      this.#resync = setInterval(() => {
        try {
          for (const key of resyncKeys()) this.add(key);
        } catch (err) {
          this.#logger.error({ err }, 'resyncKeys threw');
        }
      }, resyncMs);
      this.#resync.unref();
    }
  }

  /** stop takes no more keys, cancels timers and waits for running handlers to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#resync);
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    for (const wake of this.#idle.splice(0)) wake();
    await Promise.all(this.#workers);
  }

  async #next(): Promise<string | undefined> {
    while (!this.#stopped) {
      const key = this.#ready.values().next().value;
      if (key !== undefined) {
        this.#ready.delete(key);
        this.#dirty.delete(key);
        this.#processing.add(key);
        this.#gauge();
        return key;
      }
      await new Promise<void>((wake) => this.#idle.push(wake));
    }
    return undefined;
  }

  #done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#stopped) {
      this.#ready.add(key);
      this.#gauge();
      this.#idle.shift()?.();
    }
  }

  async #work(handler: (key: string) => Promise<ReconcileResult | undefined>): Promise<void> {
    const m = this.#options.metrics;
    for (let key = await this.#next(); key !== undefined; key = await this.#next()) {
      const end = m?.reconcileDuration.startTimer({ queue: this.#name });
      let result = 'success';
      try {
        const outcome = await handler(key);
        this.forget(key);
        if (outcome?.requeueAfterMs !== undefined) {
          result = 'requeue';
          this.addAfter(key, outcome.requeueAfterMs);
        }
      } catch (err) {
        if (err instanceof TerminalError) {
          result = 'terminal';
          this.forget(key);
          this.#logger.warn({ key, err: err.message }, 'reconcile failed terminally; not retried');
        } else {
          result = 'error';
          const failures = (this.#failures.get(key) ?? 0) + 1;
          this.#failures.set(key, failures);
          const delayMs = exponentialDelay(failures, this.#base, this.#max);
          m?.queueRetries.inc({ queue: this.#name });
          this.#logger.warn({ key, err: String(err), failures, delayMs }, 'reconcile failed; retrying');
          this.addAfter(key, delayMs);
        }
      } finally {
        end?.();
        m?.reconciles.inc({ queue: this.#name, result });
        this.#done(key);
      }
    }
  }
}
