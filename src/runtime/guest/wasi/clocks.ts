/**
 * `wasi:clocks/*` and `wasi:random/*`: the shim's clock readings and random bytes, with
 * our timer pollables for `subscribe-*` and a per-workload insecure seed.
 */
import { randomBytes } from 'node:crypto';
import { type Clock, timerPollable } from './poll.js';
import { clocks, random } from '../../shared/shim.js';

const MAX_U64 = (1n << 64n) - 1n;

/** createClocks builds the `wasi:clocks/*` imports; every timer reads the same monotonic clock. */
export function createClocks(): Record<string, Record<string, unknown>> {
  const mono = clocks.monotonicClock as { now: Clock; resolution: () => bigint };
  return {
    'wasi:clocks/monotonic-clock': {
      now: () => mono.now(),
      resolution: () => mono.resolution(),
      subscribeInstant: (instant: bigint) => timerPollable(mono.now, instant),
      subscribeDuration: (duration: bigint) => {
        const deadline = mono.now() + duration;
        return timerPollable(mono.now, deadline > MAX_U64 ? MAX_U64 : deadline);
      },
    },
    'wasi:clocks/wall-clock': { ...clocks.wallClock },
    'wasi:clocks/timezone': {
      display: () => ({ utcOffset: 0, name: 'UTC', inDaylightSavingTime: false }),
      utcOffset: () => 0,
    },
  };
}

/** createRandom builds the `wasi:random/*` imports with a seed private to this workload. */
export function createRandom(): Record<string, Record<string, unknown>> {
  const seed = randomBytes(16);
  const insecureSeed: [bigint, bigint] = [seed.readBigUInt64LE(0), seed.readBigUInt64LE(8)];
  return {
    'wasi:random/random': { ...random.random },
    'wasi:random/insecure': { ...random.insecure },
    'wasi:random/insecure-seed': { insecureSeed: () => [...insecureSeed] },
  };
}
