/**
 * WorkerSpares keeps one workload thread started ahead of time (its entry module loaded,
 * no component yet), so the pool growing costs an instantiation, not a thread start. A
 * spare is unref'd: it never keeps the process alive.
 */
import { Worker } from 'node:worker_threads';
import { threadExecArgv, threadModule } from '../threads.js';

const entryUrl = threadModule('../guest/entry', import.meta.url);

/** spawnWorker starts a workload thread waiting for its first message. */
export function spawnWorker(): Worker {
  return new Worker(entryUrl, {
    execArgv: threadExecArgv(entryUrl),
    resourceLimits: { maxOldGenerationSizeMb: 512 },
    stdout: false,
    stderr: false,
  });
}

/** WorkerSpares hands out pre-started workers and starts the next one in the background. */
export class WorkerSpares {
  #spare: Worker | undefined;
  #closed = false;

  /** take returns a started worker (a spare if one is ready) and refills the spare. */
  take(): Worker {
    const worker = this.#spare ?? spawnWorker();
    worker.ref();
    this.#spare = undefined;
    this.#refill();
    return worker;
  }

  /** warm starts a spare if there is none. */
  warm(): void {
    this.#refill();
  }

  #refill(): void {
    if (this.#closed) return;
    setImmediate(() => {
      if (this.#closed || this.#spare) return;
      const spare = spawnWorker();
      spare.unref();
      spare.once('exit', () => {
        if (this.#spare === spare) this.#spare = undefined;
      });
      this.#spare = spare;
    });
  }

  /** close stops the spare; workers already taken are their owners' to stop. */
  async close(): Promise<void> {
    this.#closed = true;
    const spare = this.#spare;
    this.#spare = undefined;
    await spare?.terminate();
  }
}
