import { describe, expect, it } from 'vitest';
import { Backoff, exponentialDelay, sleep } from './backoff.js';

describe('Backoff', () => {
  it('doubles from the base to the cap, jittered into [½, 1] of each step, and resets', () => {
    const low = new Backoff({ baseMs: 100, maxMs: 1_000 }, () => 0);
    const high = new Backoff({ baseMs: 100, maxMs: 1_000 }, () => 1);
    expect(Array.from({ length: 6 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    expect(Array.from({ length: 6 }, () => high.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(high.attempts).toBe(6);
    high.reset();
    expect(high.next()).toBe(100);
  });

  it('defaults to 100 ms doubling to 30 s', () => {
    const b = new Backoff({}, () => 1);
    const delays = Array.from({ length: 12 }, () => b.next());
    expect(delays[0]).toBe(100);
    expect(delays.at(-1)).toBe(30_000);
  });
});

describe('exponentialDelay', () => {
  it('is base·2^(n−1) capped at max', () => {
    expect([1, 2, 3, 4, 5, 100].map((n) => exponentialDelay(n, 100, 1_000))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});

describe('sleep', () => {
  it('resolves false at once when aborted', async () => {
    const abort = new AbortController();
    const slept = sleep(60_000, abort.signal);
    abort.abort();
    expect(await slept).toBe(false);
    expect(await sleep(1)).toBe(true);
  });
});
