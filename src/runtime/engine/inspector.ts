/**
 * ComponentInspector is the main-thread side of the inspect worker (threads/inspect.ts):
 * component bytes from the network are checked, and their names read, on that thread, so a
 * crafted file can cost it time and memory but never stall the workloads this host serves.
 * Jobs run one at a time, each under a deadline; a job past it, or a thread that runs out of
 * heap, fails that start and the next job gets a fresh thread.
 */
import { Worker } from 'node:worker_threads';
import { InvalidComponentError } from '../errors.js';
import { threadExecArgv, threadModule } from '../threads.js';
import type { ImportedItem } from './names.js';

/** ComponentNames are the names a component imports and exports at its top level. */
export interface ComponentNames {
  readonly imports: string[];
  readonly exports: string[];
}

/** InspectorOptions bounds the inspect worker. */
export interface InspectorOptions {
  /** timeoutMs bounds one check (default 10 s); reading names through jco gets six times as long. */
  readonly timeoutMs?: number;
  /** maxHeapMb bounds the worker's JS heap (default 256). */
  readonly maxHeapMb?: number;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; code?: string; message: string };

const workerUrl = threadModule('threads/inspect', import.meta.url);

/** ComponentInspector checks component bytes on a worker thread, one job at a time. */
export class ComponentInspector {
  readonly #timeoutMs: number;
  readonly #maxHeapMb: number;
  #worker: Worker | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #nextId = 1;

  constructor(options: InspectorOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxHeapMb = options.maxHeapMb ?? 256;
  }

  /**
   * check throws an InvalidComponentError unless `bytes` is a complete component within the
   * section limits, and returns its names, or undefined if they are encoded in a way only jco reads.
   */
  check(bytes: Uint8Array, what: string): Promise<ComponentNames | undefined> {
    return this.#enqueue('check', bytes, what, this.#timeoutMs) as Promise<ComponentNames | undefined>;
  }

  /** wit reads a component's imports and exports by printing its WIT with jco (the slow path). */
  wit(bytes: Uint8Array, what: string): Promise<{ imports: ImportedItem[]; exports: string[] }> {
    return this.#enqueue('wit', bytes, what, this.#timeoutMs * 6) as Promise<{
      imports: ImportedItem[];
      exports: string[];
    }>;
  }

  /** warm starts the worker thread ahead of the first check. */
  warm(): void {
    this.#worker ??= this.#spawn();
  }

  /** close stops the worker thread. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #enqueue(kind: 'check' | 'wit', bytes: Uint8Array, what: string, timeoutMs: number): Promise<unknown> {
    const job = this.#tail.then(
      () => this.#run(kind, bytes, what, timeoutMs),
      () => this.#run(kind, bytes, what, timeoutMs),
    );
    this.#tail = job.catch(() => undefined);
    return job;
  }

  #spawn(): Worker {
    const worker = new Worker(workerUrl, {
      execArgv: threadExecArgv(workerUrl),
      resourceLimits: { maxOldGenerationSizeMb: this.#maxHeapMb },
      stdout: false,
      stderr: false,
    });
    worker.on('error', () => undefined);
    worker.unref();
    return worker;
  }

  #run(kind: 'check' | 'wit', bytes: Uint8Array, what: string, timeoutMs: number): Promise<unknown> {
    this.#worker ??= this.#spawn();
    const worker = this.#worker;
    const id = this.#nextId++;
    worker.ref();
    return new Promise((resolve, reject) => {
      const done = (fail: string | undefined, settle: () => void) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        worker.unref();
        if (fail !== undefined) {
          // A stuck or broken thread is not reused: the next job starts a fresh one.
          if (this.#worker === worker) this.#worker = undefined;
          void worker.terminate();
          reject(new InvalidComponentError(`${what} ${fail}`));
        } else settle();
      };
      const onMessage = (reply: Reply) => {
        if (reply.id !== id) return;
        if (reply.ok) done(undefined, () => resolve(reply.value));
        else done(undefined, () => reject(new InvalidComponentError(reply.message)));
      };
      const onError = (err: Error & { code?: string }) =>
        done(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? `could not be checked: it needs more than ${this.#maxHeapMb} MB`
            : `could not be checked: ${err.message}`,
          () => undefined,
        );
      const onExit = (code: number) => done(`could not be checked: the checking thread exited (${code})`, () => undefined);
      const timer = setTimeout(() => done(`could not be checked within ${timeoutMs} ms`, () => undefined), timeoutMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, kind, bytes, what });
    });
  }
}
