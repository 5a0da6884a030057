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

/**
 * sharedBudget counts in `counter` (an Int32Array over a SharedArrayBuffer, the workload's
 * total) up to `max`, and in `own` what this context holds: the main thread gives `own`
 * back to the total when the thread dies with connections open.
 */
export function sharedBudget(counter: Int32Array, max: number, own: Int32Array = newCounter()): ConnectionBudget {
  return {
    acquire() {
      for (;;) {
        const now = Atomics.load(counter, 0);
        if (now >= max) return false;
        if (Atomics.compareExchange(counter, 0, now, now + 1) === now) {
          Atomics.add(own, 0, 1);
          return true;
        }
      }
    },
    release() {
      Atomics.sub(own, 0, 1);
      Atomics.sub(counter, 0, 1);
    },
  };
}

/** newCounter allocates a shared counter for sharedBudget. */
export function newCounter(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}
