import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.js';
import { silentLogger } from '../../telemetry/logger.js';
import type { ComponentProgram } from '../channel/messages.js';
import { InstanceTimeoutError } from '../errors.js';
import { MAX_PROGRAMS_PER_THREAD, ServiceCapacityError, WorkerPool } from './pool.js';
import { ComponentRunner, type RunnerEvent } from './runner.js';

const program = (label: string, moduleUrl = 'file:///unused.mjs'): ComponentProgram => ({
  moduleUrl,
  modules: {},
  shapes: {},
  wasi: { env: [], args: [], preopens: [] },
  outgoingHosts: [],
  sockets: { allowedHosts: [], maxConnections: 0, counter: new Int32Array(1), mayListen: false },
  maxInstances: 1,
  label,
  local: [],
  bind: {
    hostId: 'test',
    workload: { namespace: 'default', name: label, uid: label, generation: 1 },
    component: { name: 'c', image: 'file:///unused.wasm' },
  },
});

/**
 * A stand-in workload thread speaking the thread protocol without loading a component:
 * an invoke answers its first argument after that many milliseconds, or spins forever
 * for 'spin'; a probe answers at once unless PROBE is 'hang'.
 */
const FAKE = `
  const { parentPort: port, workerData } = require('node:worker_threads');
  port.on('message', (m) => {
    if (m.t === 'open') {
      // A context that opens a connection at once (to test that a dead thread's slots come back).
      if (m.program.label === 'connected') { Atomics.add(m.connections, 0, 1); Atomics.add(m.program.sockets.counter, 0, 1); }
      return;
    }
    if (m.t === 'close') return port.postMessage({ t: 'closed', cx: m.cx });
    if (m.t === 'shutdown') process.exit(0);
    if (m.t === 'probe') { if (workerData !== 'hang') port.postMessage({ t: 'done', id: m.id }); return; }
    if (m.t !== 'invoke') return;
    const a = m.args[0];
    if (a === 'spin') for (;;) {}
    if (a === 'slow-create') {
      port.postMessage({ t: 'instantiating', id: m.id });
      return setTimeout(() => {
        port.postMessage({ t: 'begin', id: m.id });
        port.postMessage({ t: 'done', id: m.id, value: 'created' });
      }, 400);
    }
    if (a === 'hang-create') return port.postMessage({ t: 'instantiating', id: m.id });
    if (a === 'queue') {
      port.postMessage({ t: 'queued', id: m.id });
      return setTimeout(() => {
        port.postMessage({ t: 'begin', id: m.id });
        setTimeout(() => port.postMessage({ t: 'done', id: m.id, value: 'ok' }), 100);
      }, 300);
    }
    setTimeout(() => port.postMessage({ t: 'done', id: m.id, value: a }), typeof a === 'number' ? a : 0);
  });`;

let pools: WorkerPool[] = [];
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});

function setup(options: { maxThreads?: number; idleTimeoutMs?: number; probe?: 'hang' } = {}) {
  let spawned = 0;
  const pool = new WorkerPool({
    logger: silentLogger(),
    maxThreads: options.maxThreads ?? 4,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    spawn: () => {
      spawned++;
      return new Worker(FAKE, { eval: true, workerData: options.probe });
    },
  });
  pools.push(pool);
  const events: RunnerEvent[] = [];
  const runner = (label: string, timeoutMs = 2000, startTimeoutMs?: number, moduleUrl?: string, counter?: Int32Array) =>
    new ComponentRunner({
      program: counter
        ? { ...program(label, moduleUrl), sockets: { ...program(label).sockets, counter } }
        : program(label, moduleUrl),
      fragment: {},
      logger: silentLogger(),
      pool,
      timeoutMs,
      ...(startTimeoutMs ? { startTimeoutMs } : {}),
      onEvent: (e) => events.push(e),
    });
  return { pool, runner, events, spawned: () => spawned };
}

describe('ComponentRunner on a WorkerPool', () => {
  it('fails a start that never finishes instantiating', async () => {
    const { runner, events } = setup({ probe: 'hang' });
    const r = runner('hanging', 100, 300);
    await expect(r.start()).rejects.toThrow(InstanceTimeoutError);
    await expect(r.start()).rejects.toThrow(/did not finish instantiating within 300 ms/);
    expect(events).toContain('timeout');
  });

  it('checks instantiation once per program at a start, and leaves no thread leased', async () => {
    const { pool } = setup();
    const probed = new Set<string>();
    const started = (label: string) =>
      new ComponentRunner({
        program: program(label),
        fragment: {},
        logger: silentLogger(),
        pool,
        timeoutMs: 2000,
        probed,
        probeKey: 'same',
      });
    await started('first').start();
    await started('second').start();
    // Only the first start's checked context stays warm; the second start skipped the check.
    expect(pool.stats()).toMatchObject({ contexts: 1, leased: 0, queued: 0 });
  });

  it('pauses the timeout while a call waits for an instance', async () => {
    const { runner } = setup();
    expect(await runner('queued', 250).invoke('', 'f', ['queue'])).toBe('ok');
  });

  it('times an instantiation on demand apart from the call it serves', async () => {
    const { runner } = setup();
    expect(await runner('slow start', 250, 2000).invoke('', 'f', ['slow-create'])).toBe('created');
    await expect(runner('stuck start', 250, 300).invoke('', 'f', ['hang-create'])).rejects.toThrow(
      /did not finish instantiating within 300 ms/,
    );
  });

  it('times out a call that runs too long; the next call runs on a fresh thread', async () => {
    const { runner, events, spawned } = setup();
    const r = runner('runaway', 200);
    await expect(r.invoke('', 'f', ['spin'])).rejects.toThrow(/ran longer than 200 ms and was stopped/);
    expect(await r.invoke('', 'f', ['fast'])).toBe('fast');
    expect(spawned()).toBe(2);
    expect(events).toEqual(['timeout', 'restart']);
  });

  it("never fails another component's call in flight when one times out", async () => {
    const { runner } = setup({ maxThreads: 2 });
    const runaway = runner('runaway', 300);
    const bystander = runner('bystander', 5000);
    const spin = runaway.invoke('', 'f', ['spin']);
    const slow = bystander.invoke('', 'f', [600]);
    await expect(spin).rejects.toThrow(InstanceTimeoutError);
    expect(await slow).toBe(600);
  });

  it('shares one thread among components, one lease at a time, first come first served', async () => {
    const { pool, runner, spawned } = setup({ maxThreads: 1 });
    const a = runner('a');
    const b = runner('b');
    const order: string[] = [];
    const track = (name: string, p: Promise<unknown>) => p.then(() => order.push(name));
    const a1 = track('a1', a.invoke('', 'f', [150]));
    await waitFor('a to hold the thread', () => pool.stats().leased === 1);
    const b1 = track('b1', b.invoke('', 'f', [0]));
    await waitFor('b to wait', () => pool.stats().queued === 1);
    // a's next call queues behind b instead of riding a's lease.
    const a2 = track('a2', a.invoke('', 'f', [0]));
    await Promise.all([a1, b1, a2]);
    expect(order).toEqual(['a1', 'b1', 'a2']);
    expect(spawned()).toBe(1);
    expect(pool.stats()).toMatchObject({ threads: 1, contexts: 2, leased: 0, queued: 0 });
  });

  it('closes idle contexts and ends empty threads after the idle timeout', async () => {
    const { pool, runner } = setup({ idleTimeoutMs: 200 });
    expect(await runner('brief').invoke('', 'f', ['x'])).toBe('x');
    expect(pool.stats()).toMatchObject({ threads: 1, contexts: 1 });
    await waitFor('the pool to shrink to zero', () => pool.stats().threads === 0);
    expect(pool.stats().contexts).toBe(0);
  });

  it('retires a thread that has loaded many different programs', async () => {
    const { pool, runner, spawned } = setup({ maxThreads: 1 });
    for (let i = 0; i < MAX_PROGRAMS_PER_THREAD; i++) {
      expect(await runner(`c${i}`, 2000, undefined, `file:///program-${i}.mjs`).invoke('', 'f', [i])).toBe(i);
    }
    await waitFor('the full thread to go', () => pool.stats().threads === 0);
    expect(await runner('next', 2000, undefined, 'file:///program-next.mjs').invoke('', 'f', ['ok'])).toBe('ok');
    expect(spawned()).toBe(2);
  });

  it('lets calls in flight finish before it stops, and refuses new ones', async () => {
    const { pool, runner } = setup();
    const r = runner('stopping');
    const inFlight = r.invoke('', 'f', [150]);
    await waitFor('the call to run', () => pool.stats().leased === 1);
    const stopped = r.stop();
    await expect(r.invoke('', 'f', [0])).rejects.toThrow(/is stopping/);
    expect(await inFlight).toBe(150);
    await stopped;
    expect(pool.stats().contexts).toBe(0);
  });
});

describe('threads reserved for services', () => {
  it('takes a reserved thread out of what calls share, up to maxServiceThreads, and gives it back', async () => {
    const { pool, runner } = setup({ maxThreads: 2 });
    const reservation = pool.reserve();
    expect(() => pool.reserve()).toThrow(ServiceCapacityError);
    expect(pool.stats().services).toBe(1);
    // One thread is left for calls: a second component's call waits for the first's thread.
    const slow = runner('slow').invoke('', 'f', [300]);
    const queued = runner('queued').invoke('', 'f', ['second']);
    await waitFor('the second call to queue', () => pool.stats().queued === 1);
    expect(pool.stats().threads).toBe(1);
    expect(await slow).toBe(300);
    expect(await queued).toBe('second');
    reservation.release();
    reservation.release();
    expect(pool.stats().services).toBe(0);
    // With both threads started and idle, a reservation retires one to stay within maxThreads.
    await Promise.all([runner('a').invoke('', 'f', [200]), runner('b').invoke('', 'f', [200])]);
    expect(pool.stats().threads).toBe(2);
    const again = pool.reserve();
    expect(pool.stats().threads).toBe(1);
    again.release();
  });
});

describe("a dead thread's connections", () => {
  it("give their slots back to the workload's connection budget", async () => {
    const { runner } = setup();
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const r = runner('connected', 200, undefined, undefined, counter);
    // The context opens (and holds a connection), then its call spins past the timeout.
    const call = r.invoke('', 'f', ['spin']);
    await waitFor('the connection to be counted', () => Atomics.load(counter, 0) === 1);
    await expect(call).rejects.toThrow(InstanceTimeoutError);
    await waitFor('the slot to come back', () => Atomics.load(counter, 0) === 0);
  });
});
