import { describe, expect, it } from 'vitest';
import { poll, timerPollable } from './poll.js';
import { type Pollable, pollable } from '../../shared/shim.js';

const drop = (p: Pollable) => (p as unknown as Disposable)[Symbol.dispose]();

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('wasi:io/poll', () => {
  it('refuses an empty list', () => {
    expect(() => poll([])).toThrow(/must not be empty/);
  });

  it('returns synchronously the indices of every ready pollable', () => {
    const pending = deferred();
    const list = [pollable(), pollable(pending.promise), pollable()];
    expect(poll(list)).toEqual(new Uint32Array([0, 2]));
  });

  it('waits for the first pollable to become ready', async () => {
    const a = deferred();
    const b = deferred();
    const list = [pollable(a.promise), pollable(b.promise)];
    const result = poll(list);
    expect(result).toBeInstanceOf(Promise);
    b.resolve();
    expect(await result).toEqual(new Uint32Array([1]));
  });

  it('blocks synchronously on a ready pollable', () => {
    expect(pollable().block()).toBeUndefined();
  });

  it('raises nothing when a waited-on pollable is dropped after poll returned', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const never = pollable(new Promise(() => {}));
      const now = deferred();
      const ready = pollable(now.promise);
      const result = poll([never, ready]);
      now.resolve();
      expect(await result).toEqual(new Uint32Array([1]));
      drop(never);
      // Let the disposal's rejection propagate through the promise chains.
      await new Promise<void>((r) => setImmediate(r));
      await new Promise<void>((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('makes a timer ready when its clock reaches the deadline, without a timer until waited on', () => {
    let now = 0n;
    const p: Pollable = timerPollable(() => now, 100n);
    expect(p.ready()).toBe(false);
    now = 100n;
    expect(p.ready()).toBe(true);
    expect(poll([p])).toEqual(new Uint32Array([0]));
  });
});
