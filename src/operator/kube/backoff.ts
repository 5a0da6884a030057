/**
 * Exponential backoff with jitter, and an abortable wait, shared by the informer, the
 * queue and the leader elector.
 */

/** BackoffOptions bound the delays: `baseMs` doubling per attempt up to `maxMs`. */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
}

/** Backoff hands out growing, jittered delays until reset. */
export class Backoff {
  readonly #base: number;
  readonly #max: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.#base = Math.max(1, options.baseMs ?? 100);
    this.#max = Math.max(this.#base, options.maxMs ?? 30_000);
    this.#random = random;
  }

  /** attempts is how many delays were handed out since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }

  /** next returns the following delay: base·2ⁿ capped at max, then jittered into [½, 1] of it. */
  next(): number {
    const ceiling = Math.min(this.#max, this.#base * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }

  /** reset starts again from the base delay. */
  reset(): void {
    this.#attempt = 0;
  }
}

/** exponentialDelay is base·2^(failures−1) capped at max (no jitter): the queue's per-key retry delay. */
export function exponentialDelay(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, failures - 1), 30));
}

/** sleep waits `ms` or until `signal` aborts (resolving false); `unref` lets the process exit meanwhile. */
export function sleep(ms: number, signal?: AbortSignal, unref = false): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    if (unref) timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
