/**
 * TranspileWorkers runs jco's transpile on a helper thread (threads/transpile.ts), keeping
 * one thread started with jco loaded ahead of the next cold start; each job gets a fresh
 * thread, bounded in time, since the bytes are untrusted.
 */
import { Worker } from 'node:worker_threads';
import { threadExecArgv, threadModule } from '../threads.js';

/** TRANSPILE_TIMEOUT_MS bounds one transpile (a 13 MB guest takes about a second). */
const TRANSPILE_TIMEOUT_MS = 300_000;

const transpileWorkerUrl = threadModule('threads/transpile', import.meta.url);

/** TranspileWorkers keeps one transpile worker started (jco loaded) ahead of the next cold start. */
export class TranspileWorkers {
  #spare: Worker | undefined;

  #spawn(): Worker {
    const worker = new Worker(transpileWorkerUrl, {
      execArgv: threadExecArgv(transpileWorkerUrl),
    });
    worker.unref();
    worker.on('error', () => undefined);
    return worker;
  }

  /** warm starts the spare worker if there is none. */
  warm(): void {
    this.#spare ??= this.#spawn();
  }

  /** run transpiles in the spare worker (starting one if needed) and starts the next spare. */
  run(bytes: Uint8Array, options: Record<string, unknown>): Promise<{ files: Record<string, Uint8Array> }> {
    const worker = this.#spare ?? this.#spawn();
    this.#spare = undefined;
    worker.ref();
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
        void worker.terminate();
        setImmediate(() => this.warm());
      };
      worker.once('message', (m: { ok: boolean; files?: Record<string, Uint8Array>; error?: string }) =>
        finish(() => (m.ok ? resolve({ files: m.files! }) : reject(new Error(m.error)))),
      );
      worker.once('error', (err) => finish(() => reject(err)));
      worker.once('exit', (code) => finish(() => reject(new Error(`transpile worker exited with code ${code}`))));
      // The bytes passed the checks but are still untrusted: a transpile that never ends is stopped.
      const timer = setTimeout(
        () => finish(() => reject(new Error(`transpiling took longer than ${TRANSPILE_TIMEOUT_MS} ms`))),
        TRANSPILE_TIMEOUT_MS,
      );
      worker.postMessage({ bytes, options });
    });
  }
}

