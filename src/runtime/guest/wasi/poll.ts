/**
 * `wasi:io/poll` for Skiff: the shim's Pollable class with our own `poll` (the browser
 * shim's always defers through a timer and can throw after a pollable is dropped), and
 * timer pollables whose timer starts only when someone waits and stops when dropped.
 */
import { type Pollable, PollableClass, pollable } from '../../shared/shim.js';

function readyIndices(list: readonly Pollable[]): Uint32Array {
  const ready: number[] = [];
  for (let i = 0; i < list.length; i++) {
    if (list[i]!.ready()) ready.push(i);
  }
  return new Uint32Array(ready);
}

/**
 * poll returns the indices of the ready pollables in `list`: synchronously when one is
 * ready already, else a Promise that settles as soon as one becomes ready.
 */
export function poll(list: readonly Pollable[]): Uint32Array | Promise<Uint32Array> {
  if (list.length === 0) throw new Error('wasi:io/poll: poll list must not be empty');
  const ready = readyIndices(list);
  if (ready.length > 0) return ready;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    for (const p of list) {
      // Every waiter gets a handler, so a pollable dropped after poll returned never
      // surfaces as an unhandled rejection.
      Promise.resolve(p.block()).then(
        () => {
          if (!settled) {
            settled = true;
            resolve();
          }
        },
        (err: unknown) => {
          if (!settled) {
            settled = true;
            reject(err);
          }
        },
      );
    }
  }).then(() => poll(list));
}

/** Clock reads a monotonic time in nanoseconds. */
export type Clock = () => bigint;

const MAX_TIMEOUT_MS = 0x7fffffff;

/**
 * timerPollable creates a pollable that becomes ready once `clock()` reaches `deadline`
 * (nanoseconds). The timer starts only when the pollable is waited on and is cleared when
 * the guest drops the pollable, so abandoned timers never keep the host busy.
 */
export function timerPollable(clock: Clock, deadline: bigint): Pollable {
  let timer: NodeJS.Timeout | undefined;
  let waiting: Promise<void> | undefined;
  const ready = () => clock() >= deadline;
  const wait = (): Promise<void> => {
    waiting ??= new Promise<void>((resolve) => {
      const tick = () => {
        const remainingNs = deadline - clock();
        if (remainingNs <= 0n) {
          timer = undefined;
          waiting = undefined;
          resolve();
          return;
        }
        const ms = Math.min(Number((remainingNs + 999_999n) / 1_000_000n), MAX_TIMEOUT_MS);
        timer = setTimeout(tick, ms);
      };
      tick();
    });
    return waiting;
  };
  const p = pollable({ ready, wait }) as Pollable & { _onDispose(cb: () => void): void };
  p._onDispose(() => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  });
  return p;
}

/** createPoll returns the `wasi:io/poll` import: the shared Pollable class and our `poll`. */
export function createPoll(): Record<string, unknown> {
  return { Pollable: PollableClass, poll };
}
