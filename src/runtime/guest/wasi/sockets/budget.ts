/**
 * ConnectionBudget bounds the TCP connections one workload holds open at once, across every
 * thread its components and its service run on: a counter in a SharedArrayBuffer that the
 * workload hands to each of its component contexts.
 */

/** DEFAULT_MAX_CONNECTIONS is how many sockets a workload may hold open when its grant sets no limit. */
export const DEFAULT_MAX_CONNECTIONS = 64;

/** ConnectionBudget hands out connection slots. */
export interface ConnectionBudget {
  /** acquire takes a slot, or returns false when the workload holds its maximum. */
  acquire(): boolean;
  release(): void;
}

/** sharedBudget counts in `counter` (an Int32Array of length ≥ 1 over a SharedArrayBuffer) up to `max`. */
export function sharedBudget(counter: Int32Array, max: number): ConnectionBudget {
  return {
    acquire() {
      for (;;) {
        const now = Atomics.load(counter, 0);
        if (now >= max) return false;
        if (Atomics.compareExchange(counter, 0, now, now + 1) === now) return true;
      }
    },
    release() {
      Atomics.sub(counter, 0, 1);
    },
  };
}

/** newCounter allocates a shared counter for sharedBudget. */
export function newCounter(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}
