/**
 * waitFor, the one way tests wait: poll a condition until it holds or a deadline passes.
 * Tests never sleep for a fixed time; they wait for the state they need.
 */

/** Check is a condition: a value other than undefined or false means it holds. */
export type Check<T> = () => T | undefined | false | Promise<T | undefined | false>;

/**
 * waitFor polls `check` (first every few milliseconds, then every 100 ms) until it returns
 * a value other than undefined or false, and resolves with it. A check that throws counts
 * as not holding yet. After `ms` it fails naming `what` and the last error seen.
 */
export async function waitFor<T>(what: string, check: Check<T>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last === undefined ? '' : ` (last error: ${last instanceof Error ? last.message : String(last)})`;
      throw new Error(`timed out after ${ms} ms waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * settles resolves with what `promise` resolves with, or fails naming `what` if it has not
 * settled after `ms`: a guard against hangs (a call that must fail fast while a server is
 * down), with a deadline far above the time the call is expected to take.
 */
export async function settles<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
