import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../telemetry/logger.js';
import type { WorkerInit } from '../bridge/protocol.js';
import { InstanceTimeoutError } from '../errors.js';
import { ComponentRunner } from './runner.js';

const init: WorkerInit = {
  moduleUrl: 'file:///unused.mjs',
  modules: {},
  shapes: {},
  wasi: { env: [], args: [], preopens: [] },
  outgoingHosts: [],
  maxInstances: 1,
  label: 'test component',
};

/** fakeWorker runs `body` as a worker whose port is `port` (it never loads a component). */
const fakeWorker = (body: string) => () =>
  new Worker(`const { parentPort: port } = require('node:worker_threads');\n${body}`, { eval: true });

describe('ComponentRunner', () => {
  it('fails a start that never finishes instantiating, and stops the worker', async () => {
    const events: string[] = [];
    const runner = new ComponentRunner({
      init,
      fragment: {},
      logger: silentLogger(),
      timeoutMs: 100,
      startTimeoutMs: 300,
      onEvent: (e) => events.push(e),
      spawn: fakeWorker('port.on("message", () => { /* never ready */ });'),
    });
    await expect(runner.start()).rejects.toThrow(InstanceTimeoutError);
    await expect(runner.start()).rejects.toThrow(/did not finish instantiating within 300 ms/);
    expect(events).toContain('timeout');
    await runner.stop();
  });

  it('pauses the timeout while a call waits for an instance', async () => {
    // A worker that queues each call for 300 ms, then answers after 100 ms of "running".
    const body = `
      port.on('message', (m) => {
        if (m.t === 'init') return port.postMessage({ t: 'ready' });
        if (m.t !== 'invoke') return;
        port.postMessage({ t: 'queued', id: m.id });
        setTimeout(() => {
          port.postMessage({ t: 'begin', id: m.id });
          setTimeout(() => port.postMessage({ t: 'done', id: m.id, value: 'ok' }), 100);
        }, 300);
      });`;
    const runner = new ComponentRunner({ init, fragment: {}, logger: silentLogger(), timeoutMs: 250, spawn: fakeWorker(body) });
    await runner.start();
    expect(await runner.invoke('', 'f', [])).toBe('ok');
    await runner.stop();
  });

  it('times out a call that runs too long and restarts the worker for the next one', async () => {
    let spawned = 0;
    const body = `
      port.on('message', (m) => {
        if (m.t === 'init') return port.postMessage({ t: 'ready' });
        if (m.t === 'invoke' && m.args[0] === 'fast') port.postMessage({ t: 'done', id: m.id, value: 'fast' });
        if (m.t === 'invoke' && m.args[0] === 'spin') for (;;) {}
      });`;
    const runner = new ComponentRunner({
      init,
      fragment: {},
      logger: silentLogger(),
      timeoutMs: 200,
      spawn: () => {
        spawned++;
        return fakeWorker(body)();
      },
    });
    await expect(runner.invoke('', 'f', ['spin'])).rejects.toThrow(/ran longer than 200 ms and was stopped/);
    expect(await runner.invoke('', 'f', ['fast'])).toBe('fast');
    expect(spawned).toBe(2);
    await runner.stop();
  });

  it('lets calls in flight finish before it stops, and refuses new ones', async () => {
    const body = `
      port.on('message', (m) => {
        if (m.t === 'init') return port.postMessage({ t: 'ready' });
        if (m.t === 'invoke') setTimeout(() => port.postMessage({ t: 'done', id: m.id, value: 'late' }), 150);
        if (m.t === 'shutdown') process.exit(0);
      });`;
    const runner = new ComponentRunner({ init, fragment: {}, logger: silentLogger(), timeoutMs: 2000, spawn: fakeWorker(body) });
    await runner.start();
    const inFlight = runner.invoke('', 'f', []);
    const stopped = runner.stop();
    await expect(runner.invoke('', 'f', [])).rejects.toThrow(/is stopping/);
    expect(await inFlight).toBe('late');
    await stopped;
  });
});
