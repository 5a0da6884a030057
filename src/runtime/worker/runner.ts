/**
 * ComponentRunner is the main-thread owner of one component's worker: it starts it,
 * serves its plugin calls through the bridge, sends it HTTP requests and invocations,
 * and stops it — terminating it when a guest runs past its timeout, then starting a
 * fresh one so the workload keeps serving.
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../telemetry/logger.js';
import { BridgeServer } from '../bridge/server.js';
import type { FromWorker, HttpRequestData, HttpResponseData, ToWorker, WorkerInit } from '../bridge/protocol.js';
import { InstanceTimeoutError, InstanceTrapError, SkiffError } from '../errors.js';
import type { ImportFragment } from '../plugin.js';

/** RunnerOptions configures a ComponentRunner. */
export interface RunnerOptions {
  init: WorkerInit;
  fragment: ImportFragment;
  logger: Logger;
  timeoutMs: number;
  /** startTimeoutMs bounds instantiation of a fresh worker (default: the larger of 60 s and timeoutMs). */
  startTimeoutMs?: number;
  /** spawn returns a started worker waiting for its init message. */
  spawn: () => Worker;
  /** onEvent reports discarded instances and restarts (for metrics). */
  onEvent?: (event: 'trap' | 'timeout' | 'crash' | 'restart') => void;
}

type Pending = { resolve(v: unknown): void; reject(e: Error): void; timer?: NodeJS.Timeout | undefined };

/** GuestError is a guest failure reported by a worker (trap, missing export, thrown error). */
export class GuestError extends SkiffError {}

/** ComponentRunner runs one component in a worker thread. */
export class ComponentRunner {
  readonly #options: RunnerOptions;
  readonly #logger: Logger;
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #pending = new Map<number, Pending>();
  #next = 1;
  #stopped = false;
  #draining = false;
  #spawned = 0;
  #drained: (() => void) | undefined;

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#logger = options.logger;
  }

  /** start spawns the worker and resolves once an instance was created. */
  start(): Promise<void> {
    if (this.#stopped) return Promise.reject(new SkiffError('SKIFF_STOPPED', 'component runner is stopped'));
    if (!this.#ready) {
      // A worker lost to a timeout or crash is replaced on the next call.
      if (this.#spawned > 0) this.#options.onEvent?.('restart');
      this.#spawned++;
      this.#ready = this.#spawn();
    }
    return this.#ready;
  }

  #spawn(): Promise<void> {
    const bridge = new BridgeServer(this.#options.fragment, this.#logger);
    const worker = this.#options.spawn();
    worker.postMessage({ t: 'init', init: this.#options.init } satisfies ToWorker);
    this.#worker = worker;
    const label = this.#options.init.label;
    const startTimeoutMs = this.#options.startTimeoutMs ?? Math.max(60_000, this.#options.timeoutMs);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        reject(err);
      };
      // A guest that loops while it instantiates must not hang the start forever.
      const deadline = setTimeout(() => {
        this.#options.onEvent?.('timeout');
        fail(new InstanceTimeoutError(`${label} did not finish instantiating within ${startTimeoutMs} ms`));
        void worker.terminate();
      }, startTimeoutMs);
      worker.on('message', (message: FromWorker) => {
        if (message.t === 'ready') {
          settled = true;
          clearTimeout(deadline);
          resolve();
        } else if (message.t === 'init-failed') {
          fail(new GuestError(message.code, `${label} failed to instantiate: ${message.error}`));
          void worker.terminate();
        } else this.#onMessage(worker, bridge, message);
      });
      worker.on('error', (err) => {
        this.#logger.error({ err }, 'component worker crashed');
        this.#options.onEvent?.('crash');
        fail(new GuestError('SKIFF_WORKER_CRASHED', `${label} worker crashed: ${err.message}`));
      });
      worker.on('exit', () => {
        bridge.dispose();
        if (this.#worker === worker) {
          this.#worker = undefined;
          this.#ready = undefined;
          this.#failAll(new GuestError('SKIFF_WORKER_EXITED', `${label} worker exited`));
        }
        fail(new GuestError('SKIFF_WORKER_EXITED', `${label} worker exited during start`));
      });
    });
  }

  #onMessage(worker: Worker, bridge: BridgeServer, message: FromWorker): void {
    switch (message.t) {
      case 'rpc':
        void bridge.handle(message).then((reply) => {
          if (reply) worker.postMessage(reply satisfies ToWorker);
        });
        break;
      case 'log':
        this.#logger.info({ stream: message.stream }, message.line);
        break;
      case 'queued': {
        // The timeout counts while an instance runs the call, not while the call waits for one.
        const p = this.#pending.get(message.id);
        clearTimeout(p?.timer);
        if (p) p.timer = undefined;
        break;
      }
      case 'begin': {
        const p = this.#pending.get(message.id);
        if (p && !p.timer) p.timer = setTimeout(() => this.#onTimeout(worker, message.id), this.#options.timeoutMs);
        break;
      }
      case 'done':
        this.#settle(message.id)?.resolve(message.value);
        break;
      case 'failed': {
        const p = this.#settle(message.id);
        const Err = message.code === 'SKIFF_TRAP' ? InstanceTrapError : GuestError;
        p?.reject(
          Err === InstanceTrapError
            ? new InstanceTrapError(message.error)
            : new GuestError(message.code, message.error),
        );
        break;
      }
      case 'instance-discarded':
        this.#logger.warn({ reason: message.reason }, 'guest instance discarded');
        this.#options.onEvent?.('trap');
        break;
      default:
        break;
    }
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (p) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      if (this.#pending.size === 0) this.#drained?.();
    }
    return p;
  }

  #failAll(err: Error): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(err);
    }
  }

  #send<T>(build: (id: number) => ToWorker): Promise<T> {
    if (this.#draining) {
      return Promise.reject(new SkiffError('SKIFF_STOPPED', `${this.#options.init.label} is stopping`));
    }
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      // Registered before the worker is ready, so a stop() meanwhile waits for this call too.
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.start().then(
        () => {
          const p = this.#pending.get(id);
          if (!p) return; // already failed (the worker exited)
          const worker = this.#worker;
          if (!worker) {
            this.#settle(id);
            reject(new SkiffError('SKIFF_STOPPED', `${this.#options.init.label} stopped`));
            return;
          }
          p.timer = setTimeout(() => this.#onTimeout(worker, id), this.#options.timeoutMs);
          worker.postMessage(build(id));
        },
        (err: Error) => {
          if (this.#settle(id)) reject(err);
        },
      );
    });
  }

  #onTimeout(worker: Worker, id: number): void {
    const p = this.#settle(id);
    if (!p) return;
    const label = this.#options.init.label;
    this.#logger.warn({ timeoutMs: this.#options.timeoutMs }, 'guest ran past its timeout; restarting its worker');
    this.#options.onEvent?.('timeout');
    p.reject(new InstanceTimeoutError(`${label} ran longer than ${this.#options.timeoutMs} ms and was stopped`));
    if (this.#worker === worker) {
      this.#worker = undefined;
      this.#ready = undefined;
      this.#failAll(new InstanceTimeoutError(`${label} was restarted after another request timed out`));
    }
    void worker.terminate();
  }

  /** http serves one buffered HTTP request. */
  http(req: HttpRequestData): Promise<HttpResponseData> {
    return this.#send((id) => ({ t: 'http', id, req }));
  }

  /** invoke calls an export of the component (`iface` '' for a plain function export). */
  invoke(iface: string, fn: string, args: readonly unknown[]): Promise<unknown> {
    return this.#send((id) => ({ t: 'invoke', id, iface, fn, args: [...args] }));
  }

  /**
   * stop refuses new calls, lets the calls in flight finish (up to the invocation
   * timeout), then asks the worker to close its files and exit, terminating it after a
   * grace period.
   */
  async stop(graceMs = 2000): Promise<void> {
    this.#draining = true;
    const drainDeadline = Date.now() + this.#options.timeoutMs;
    while (this.#pending.size > 0 && Date.now() < drainDeadline) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
        setTimeout(resolve, 50);
      });
    }
    this.#stopped = true;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#failAll(new SkiffError('SKIFF_STOPPED', `${this.#options.init.label} stopped`));
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(() => worker.terminate().then(() => resolve(), () => resolve()), graceMs);
    });
    worker.postMessage({ t: 'shutdown' } satisfies ToWorker);
    await Promise.race([exited, forced]);
    clearTimeout(timer);
  }
}
