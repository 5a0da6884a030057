import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../telemetry/logger.js';
import { createKubeMetrics } from './metrics.js';
import { type ReconcileResult, TerminalError, WorkQueue, type WorkQueueOptions } from './queue.js';

async function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const queues: WorkQueue[] = [];
function queue(options: Partial<WorkQueueOptions> = {}): WorkQueue {
  const q = new WorkQueue({ baseDelayMs: 2, maxDelayMs: 20, logger: silentLogger(), ...options });
  queues.push(q);
  return q;
}
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.stop()));
});

describe('WorkQueue', () => {
  it('deduplicates a key while it waits and reports depth', async () => {
    const q = queue();
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.depth).toBe(2);
    const seen: string[] = [];
    q.run(async (key) => {
      seen.push(key);
      return undefined;
    });
    await until('both keys handled', () => seen.length >= 2);
    q.add('c');
    await until('c handled', () => seen.includes('c'));
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(q.depth).toBe(0);
  });

  it('runs one handler per key at a time and processes a key added meanwhile once more afterwards', async () => {
    const q = queue();
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    q.run(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      calls++;
      if (calls === 1) await gate;
      running--;
      return undefined;
    }, 4);
    q.add('k');
    await until('first run started', () => calls === 1);
    q.add('k');
    q.add('k');
    await tick();
    expect(calls).toBe(1);
    release();
    await until('second run', () => calls === 2 && running === 0);
    q.add('other');
    await until('idle', () => q.depth === 0 && running === 0 && calls === 3);
    expect(maxRunning).toBe(1);
  });

  it('retries a failing key with backoff until it succeeds, then forgets the failures', async () => {
    const metrics = createKubeMetrics();
    const q = queue({ metrics, name: 'retry' });
    let calls = 0;
    q.run(async () => {
      calls++;
      if (calls < 4) throw new Error(`attempt ${calls} failed`);
      return undefined;
    });
    q.add('k');
    await until('success on the fourth attempt', () => calls === 4);
    const retries = await metrics.queueRetries.get();
    expect(retries.values[0]?.value).toBe(3);
    const results = Object.fromEntries((await metrics.reconciles.get()).values.map((v) => [v.labels.result, v.value]));
    expect(results).toEqual({ error: 3, success: 1 });
  });

  it('does not retry a TerminalError', async () => {
    const q = queue({ baseDelayMs: 1, maxDelayMs: 1 });
    const seen: string[] = [];
    q.run(async (key) => {
      seen.push(key);
      if (key === 'bad') throw new TerminalError('spec is wrong');
      return undefined;
    });
    q.add('bad');
    await until('bad handled', () => seen.includes('bad'));
    // Any retry of `bad` would come 1 ms after its failure; `later` comes 50 ms after it.
    q.addAfter('later', 50);
    await until('later handled', () => seen.includes('later'));
    expect(seen).toEqual(['bad', 'later']);
    expect(new TerminalError('x').code).toBe('SKIFF_TERMINAL');
  });

  it('comes back after requeueAfterMs', async () => {
    const q = queue();
    let calls = 0;
    q.run(async (): Promise<ReconcileResult> => {
      calls++;
      return calls === 1 ? { requeueAfterMs: 5 } : {};
    });
    q.add('k');
    await until('requeued run', () => calls === 2);
  });

  it('keeps the earlier of two addAfter schedules', async () => {
    const q = queue();
    const seen: string[] = [];
    q.run(async (key) => {
      seen.push(key);
      return undefined;
    });
    q.addAfter('k', 60_000);
    q.addAfter('k', 5);
    await until('k handled from the earlier schedule', () => seen.includes('k'));
  });

  it('resyncs every key periodically', async () => {
    const q = queue({ resyncMs: 5, resyncKeys: () => ['x', 'y'] });
    const count = new Map<string, number>();
    q.run(async (key) => {
      count.set(key, (count.get(key) ?? 0) + 1);
      return undefined;
    });
    await until('two resyncs of each key', () => (count.get('x') ?? 0) >= 2 && (count.get('y') ?? 0) >= 2);
  });

  it('stop waits for running handlers and takes no more keys', async () => {
    const q = queue();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started = 0;
    let finished = 0;
    q.run(async () => {
      started++;
      await gate;
      finished++;
      return undefined;
    });
    q.add('k');
    await until('handler started', () => started === 1);
    let stopped = false;
    const stopping = q.stop().then(() => {
      stopped = true;
    });
    await tick();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(1);
    q.add('again');
    expect(q.depth).toBe(0);
  });

  it('survives a throwing resyncKeys', async () => {
    let calls = 0;
    const q = queue({
      resyncMs: 5,
      resyncKeys: () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return ['k'];
      },
    });
    const seen: string[] = [];
    q.run(async (key) => {
      seen.push(key);
      return undefined;
    });
    await until('resync after a throw', () => seen.includes('k'));
  });
});
