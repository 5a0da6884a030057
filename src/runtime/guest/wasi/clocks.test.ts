import { describe, expect, it } from 'vitest';
import { createWasiImports } from './index.js';
import type { Pollable } from '../../shared/shim.js';

const drop = (p: Pollable) => (p as unknown as Disposable)[Symbol.dispose]();

const wasi = createWasiImports({});
const mono = wasi['wasi:clocks/monotonic-clock'] as {
  now(): bigint;
  resolution(): bigint;
  subscribeInstant(at: bigint): Pollable;
  subscribeDuration(d: bigint): Pollable;
};
const pollFn = wasi['wasi:io/poll'].poll as (list: Pollable[]) => Uint32Array | Promise<Uint32Array>;

describe('wasi:clocks', () => {
  it('reads a monotonic clock in nanoseconds', () => {
    const a = mono.now();
    const b = mono.now();
    expect(typeof a).toBe('bigint');
    expect(b >= a).toBe(true);
    expect(mono.resolution() > 0n).toBe(true);
  });

  it('reads the wall clock as a datetime', () => {
    const now = (wasi['wasi:clocks/wall-clock'].now as () => { seconds: bigint; nanoseconds: number })();
    expect(typeof now.seconds).toBe('bigint');
    expect(Number(now.seconds)).toBeGreaterThan(1_700_000_000);
    expect(now.nanoseconds).toBeGreaterThanOrEqual(0);
    expect(now.nanoseconds).toBeLessThan(1e9);
  });

  it('makes past instants and zero durations ready at once', () => {
    expect(mono.subscribeInstant(0n).ready()).toBe(true);
    const p = mono.subscribeDuration(0n);
    expect(p.ready()).toBe(true);
    expect(p.block()).toBeUndefined();
    expect(pollFn([p])).toEqual(new Uint32Array([0]));
  });

  it('makes a future instant ready once the clock reaches it', async () => {
    const deadline = mono.now() + 2_000_000n;
    const p = mono.subscribeInstant(deadline);
    expect(p.ready()).toBe(false);
    await p.block();
    expect(mono.now() >= deadline).toBe(true);
    expect(p.ready()).toBe(true);
  });

  it('resolves poll on the first timer and leaves the others pending', async () => {
    const soon = mono.subscribeDuration(1_000_000n);
    const late = mono.subscribeDuration(3_600_000_000_000n);
    const result = pollFn([late, soon]);
    expect(result).toBeInstanceOf(Promise);
    expect(await result).toEqual(new Uint32Array([1]));
    expect(late.ready()).toBe(false);
    // Dropping the waited-on hour-long timer clears its host timer.
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    drop(late);
    expect(timers()).toBe(before - 1);
    drop(soon);
  });

  it('provides a UTC timezone', () => {
    const tz = wasi['wasi:clocks/timezone'] as { display(d: unknown): unknown; utcOffset(d: unknown): number };
    expect(tz.utcOffset({ seconds: 0n, nanoseconds: 0 })).toBe(0);
    expect(tz.display({ seconds: 0n, nanoseconds: 0 })).toEqual({
      utcOffset: 0,
      name: 'UTC',
      inDaylightSavingTime: false,
    });
  });
});

describe('wasi:random', () => {
  it('returns the requested number of random bytes', () => {
    const random = wasi['wasi:random/random'] as { getRandomBytes(n: bigint): Uint8Array; getRandomU64(): bigint };
    expect(random.getRandomBytes(0n).byteLength).toBe(0);
    const big = random.getRandomBytes(100_000n);
    expect(big.byteLength).toBe(100_000);
    expect(big.some((b) => b !== 0)).toBe(true);
    expect(typeof random.getRandomU64()).toBe('bigint');
    const insecure = wasi['wasi:random/insecure'] as { getInsecureRandomBytes(n: bigint): Uint8Array };
    expect(insecure.getInsecureRandomBytes(16n).byteLength).toBe(16);
  });

  it('keeps one insecure seed per workload', () => {
    const seedOf = (w: ReturnType<typeof createWasiImports>) =>
      (w['wasi:random/insecure-seed'].insecureSeed as () => [bigint, bigint])();
    const other = createWasiImports({});
    expect(seedOf(wasi)).toEqual(seedOf(wasi));
    expect(seedOf(other)).not.toEqual(seedOf(wasi));
    expect(typeof seedOf(wasi)[0]).toBe('bigint');
  });
});
