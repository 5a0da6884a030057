/**
 * ServiceRunner is the main-thread side of a workload's `spec.service`: a component whose
 * `wasi:cli/run` runs for as long as the workload does. It holds one thread reserved out of
 * the pool's budget (ADR 0021), runs each incarnation on a fresh thread there, and when
 * the run ends — an exit, a trap, a crash — restarts it after a capped exponential
 * backoff, at most `maxRestarts` times; then it reports the service Failed with why.
 */
import type { Logger } from '../../telemetry/logger.js';
import type { ComponentProgram } from '../channel/messages.js';
import { SkiffError } from '../errors.js';
import type { ImportFragment } from '../plugin.js';
import type { LoopbackHub } from './loopback.js';
import type { ThreadReservation, WorkerPool } from './pool.js';
import type { Tenant, WorkloadThread } from './thread.js';

/** ServiceState is a service's state as its host reports it. */
export interface ServiceState {
  readonly name: string;
  /** state: Running (a run is in progress), Restarting (waiting out the backoff), Failed (gave up), Stopped. */
  readonly state: 'Running' | 'Restarting' | 'Failed' | 'Stopped';
  /** restarts counts the runs started after the first (all of them, healthy runs between or not). */
  readonly restarts: number;
  /**
   * reason is the CamelCase reason the last run ended: ServiceExited (wasi:cli/exit, or run
   * returned), ServiceTrapped, ServiceFailed (the host failed the run), ServiceCrashed (its
   * thread died), ServiceStartFailed (it did not instantiate).
   */
  readonly reason?: string | undefined;
  /** message says how the last run ended. */
  readonly message?: string | undefined;
}

/** ServiceOptions configure a ServiceRunner. */
export interface ServiceOptions {
  readonly name: string;
  readonly program: ComponentProgram;
  readonly fragment: ImportFragment;
  readonly logger: Logger;
  readonly pool: WorkerPool;
  /** maxRestarts bounds the restarts in a row: runs that end before `resetAfterMs` without a healthy run between. */
  readonly maxRestarts: number;
  /** backoffMs is the wait before the first restart; it doubles with each restart. */
  readonly backoffMs: number;
  /** maxBackoffMs caps the wait between restarts. */
  readonly maxBackoffMs: number;
  /** resetAfterMs: a run that lasted this long was healthy, and the restarts in a row (and the backoff) start over. */
  readonly resetAfterMs: number;
  /** startTimeoutMs bounds one instantiation. */
  readonly startTimeoutMs: number;
  /** onChange is told each new state. */
  readonly onChange?: ((state: ServiceState) => void) | undefined;
  /** loopback is the workload's virtual loopback, where the service may listen. */
  readonly loopback?: LoopbackHub | undefined;
}

/** ServiceStartError means a service's first run could not start (it did not instantiate). */
export class ServiceStartError extends SkiffError {}

interface RunEnd {
  readonly reason: 'ServiceExited' | 'ServiceTrapped' | 'ServiceFailed' | 'ServiceCrashed' | 'ServiceStartFailed';
  readonly message: string;
}

/** backoffDelay is the wait before restart number `restart` (1-based): base·2^(restart-1), capped. */
export function backoffDelay(restart: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, restart - 1)));
}

/** ServiceRunner runs one workload's service and restarts it when it ends. */
export class ServiceRunner implements Tenant {
  readonly key: number;
  readonly program: ComponentProgram;
  readonly fragment: ImportFragment;
  readonly logger: Logger;
  readonly loopback: LoopbackHub | undefined;
  readonly #options: ServiceOptions;
  #reservation: ThreadReservation | undefined;
  #thread: WorkloadThread | undefined;
  #timer: NodeJS.Timeout | undefined;
  #state: ServiceState;
  #stopped = false;
  /** #inARow counts the restarts since the last healthy run (what maxRestarts and the backoff look at). */
  #inARow = 0;

  constructor(options: ServiceOptions) {
    this.#options = options;
    this.key = options.pool.tenantKey();
    this.program = options.program;
    this.fragment = options.fragment;
    this.logger = options.logger;
    this.loopback = options.loopback;
    this.#state = { name: options.name, state: 'Restarting', restarts: 0 };
  }

  /** state is the service's state now. */
  get state(): ServiceState {
    return this.#state;
  }

  /** onEvent is how a thread reports a discarded instance; the run's end reports it already. */
  onEvent(): void {}

  /**
   * start reserves the service's thread and starts the first run; it resolves once the
   * component instantiated (the run goes on) and rejects — holding nothing — if it did not.
   */
  async start(): Promise<void> {
    this.#reservation = this.#options.pool.reserve();
    try {
      await new Promise<void>((resolve, reject) => this.#run(resolve, reject));
    } catch (err) {
      this.#release();
      throw err;
    }
  }

  /** #run starts one run on a fresh thread; `started` and `failedToStart` settle the first one's start. */
  #run(started?: () => void, failedToStart?: (err: Error) => void): void {
    const lease = this.#reservation!.spawn(this);
    this.#thread = lease.thread;
    let ended = false;
    let began = false;
    let beganAt = 0;
    let timer: NodeJS.Timeout | undefined;
    const end = (how: RunEnd) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      lease.thread.kill(new SkiffError('SKIFF_STOPPED', `service ${this.#options.name} run ended`));
      if (this.#thread === lease.thread) this.#thread = undefined;
      if (failedToStart && how.reason === 'ServiceStartFailed') {
        failedToStart(new ServiceStartError('SKIFF_SERVICE_START', how.message));
        return;
      }
      started?.();
      this.#ended(how, began ? performance.now() - beganAt : 0);
    };
    const id = this.#options.pool.callId();
    lease.thread.run(
      { t: 'invoke', cx: lease.cx, id, iface: 'wasi:cli/run', fn: 'run', args: [] },
      {
        queued: () => undefined,
        instantiating: () => {
          timer = setTimeout(
            () => end({ reason: 'ServiceStartFailed', message: this.#timeoutMessage() }),
            this.#options.startTimeoutMs,
          );
        },
        begin: () => {
          began = true;
          beganAt = performance.now();
          clearTimeout(timer);
          this.#set({ state: 'Running' });
          started?.();
          started = undefined;
          failedToStart = undefined;
        },
        done: () => end({ reason: 'ServiceExited', message: 'exited with code 0' }),
        failed: (code, error) => end(runEnd(code, error, !began)),
        lost: (err) => end({ reason: 'ServiceCrashed', message: err.message }),
      },
    );
  }

  #timeoutMessage(): string {
    return `${this.program.label} did not finish instantiating within ${this.#options.startTimeoutMs} ms`;
  }

  /**
   * #ended restarts the service after its backoff, or gives up once it restarted maxRestarts
   * times in a row; a run that lasted `resetAfterMs` starts the count (and the backoff) over.
   */
  #ended(how: RunEnd, ranMs: number): void {
    if (this.#stopped) return;
    const { maxRestarts, backoffMs, maxBackoffMs, resetAfterMs } = this.#options;
    if (ranMs >= resetAfterMs) this.#inARow = 0;
    if (this.#inARow >= maxRestarts) {
      const n = this.#inARow;
      this.logger.error({ reason: how.reason, restarts: n }, `service gave up after ${n} restarts: ${how.message}`);
      this.#set({ state: 'Failed', reason: how.reason, message: `${how.message} (restarted ${n} times in a row)` });
      this.#release();
      return;
    }
    this.#inARow++;
    const delay = backoffDelay(this.#inARow, backoffMs, maxBackoffMs);
    const restarts = this.#state.restarts + 1;
    this.logger.warn({ reason: how.reason, restart: restarts, delayMs: delay }, `service ended: ${how.message}`);
    this.#set({ state: 'Restarting', restarts, reason: how.reason, message: how.message });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#stopped) this.#run();
    }, delay);
  }

  #set(change: Partial<ServiceState>): void {
    this.#state = { ...this.#state, ...change };
    this.#options.onChange?.(this.#state);
  }

  #release(): void {
    this.#reservation?.release();
    this.#reservation = undefined;
  }

  /** stop ends the service now: its thread is terminated (a service has no calls to drain). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    const thread = this.#thread;
    this.#thread = undefined;
    if (thread && !thread.dead) {
      const exited = new Promise<void>((resolve) => thread.worker.once('exit', () => resolve()));
      thread.kill(new SkiffError('SKIFF_STOPPED', `service ${this.#options.name} stopped`));
      await exited;
    }
    this.#release();
    if (this.#state.state !== 'Failed') this.#set({ state: 'Stopped' });
  }
}

/** runEnd says why a run ended from what its thread reported (`starting`: before it began running). */
function runEnd(code: string, error: string, starting: boolean): RunEnd {
  if (starting) return { reason: 'ServiceStartFailed', message: `failed to instantiate: ${error}` };
  if (code === 'SKIFF_WASI_EXIT') return { reason: 'ServiceExited', message: error.replace(/^guest /, '') };
  // `run` returning its `err` is exiting with a failure status.
  if (code === 'SKIFF_ERROR_RESULT') return { reason: 'ServiceExited', message: `wasi:cli/run ${error}` };
  if (code === 'SKIFF_TRAP') return { reason: 'ServiceTrapped', message: error };
  return { reason: 'ServiceFailed', message: error };
}
