/**
 * ComponentRunner is the main-thread side of one component of a running workload. It owns
 * no thread: each call leases one from the host's WorkerPool, runs there in the
 * component's context, and gives the lease back. The runner keeps every timer: a call
 * that runs past its timeout terminates the thread it runs on, which only ever fails this
 * component's calls, and the next call gets a fresh context on another thread.
 */
import type { Logger } from '../../telemetry/logger.js';
import type { SpanRecord } from '../../telemetry/tracing/records.js';
import type { TraceScope } from '../../telemetry/tracing/scope.js';
import type { Tracing } from '../../telemetry/tracing/provider.js';
import { formatTraceparent } from '../../telemetry/tracing/records.js';
import type { CallMessage, ComponentProgram, HttpRequestData, HttpResponseData } from '../channel/messages.js';
import { InstanceTimeoutError, InstanceTrapError, SkiffError } from '../errors.js';
import type { ImportFragment } from '../plugin.js';
import type { LoopbackHub } from './loopback.js';
import type { WorkerPool } from './pool.js';
import type { CallSink, Tenant } from './thread.js';

/** RunnerEvent is what a runner reports for metrics. */
export type RunnerEvent = 'trap' | 'timeout' | 'crash' | 'restart';

/** RunnerOptions configures a ComponentRunner. */
export interface RunnerOptions {
  program: ComponentProgram;
  fragment: ImportFragment;
  logger: Logger;
  pool: WorkerPool;
  timeoutMs: number;
  /** startTimeoutMs bounds one instantiation, at a start or on demand (default: the larger of 60 s and timeoutMs). */
  startTimeoutMs?: number;
  /**
   * probed remembers which programs instantiated once already: a start whose `probeKey` is
   * in it skips its trial instantiation. Shared by the host.
   */
  probed?: Set<string>;
  /** probeKey names everything instantiation depends on (digest, options, import shapes). */
  probeKey?: string;
  /** onEvent reports discarded instances, timeouts, crashes and restarts (for metrics). */
  onEvent?: (event: RunnerEvent) => void;
  /** tracing, when the host traces, takes the spans the component's calls collect. */
  tracing?: Tracing | undefined;
  /** loopback is the workload's virtual loopback, when it has one. */
  loopback?: LoopbackHub | undefined;
}

/** GuestError is a guest failure reported by a workload thread (missing export, thrown error). */
export class GuestError extends SkiffError {}

/** MAX_PROBED bounds the probe memory: past it, it starts over. */
const MAX_PROBED = 4096;

/** ComponentRunner runs the calls of one component on leased workload threads. */
export class ComponentRunner implements Tenant {
  readonly key: number;
  readonly program: ComponentProgram;
  readonly fragment: ImportFragment;
  readonly logger: Logger;
  readonly loopback: LoopbackHub | undefined;
  readonly #options: RunnerOptions;
  readonly #pool: WorkerPool;
  #pending = 0;
  #draining = false;
  /** #lost is set when a thread running this component's calls was terminated; the next call is a restart. */
  #lost = false;
  #drained: (() => void) | undefined;

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#pool = options.pool;
    this.key = options.pool.tenantKey();
    this.program = options.program;
    this.fragment = options.fragment;
    this.logger = options.logger;
    this.loopback = options.loopback;
  }

  /** #startTimeoutMs bounds one instantiation: the larger of 60 s and the call timeout unless set. */
  get #startTimeoutMs(): number {
    return this.#options.startTimeoutMs ?? Math.max(60_000, this.#options.timeoutMs);
  }

  get #label(): string {
    return this.program.label;
  }

  /** traceScope is the main thread's trace scope: bridged plugin calls run under their span. */
  get traceScope(): TraceScope | undefined {
    return this.#options.tracing?.scope;
  }

  /** onSpans hands the spans a traced call collected to the host's tracing. */
  onSpans(spans: SpanRecord[]): void {
    this.#options.tracing?.record(spans);
  }

  /** onEvent reports a discarded instance (called by the thread that discarded it). */
  onEvent(event: 'trap'): void {
    this.#options.onEvent?.(event);
  }

  /**
   * start checks that the component instantiates, once per probe key on the host. The
   * checked instance stays warm for the first call like any idle one (closed after the idle
   * timeout); a start that skips the check leaves no instance and no thread behind.
   */
  async start(): Promise<void> {
    const { probed, probeKey } = this.#options;
    if (probeKey !== undefined && probed?.has(probeKey)) return;
    const started = performance.now();
    try {
      await this.#call((cx, id) => ({ t: 'probe', cx, id }), 'probe');
    } catch (err) {
      this.#pool.closeContexts(this.key);
      throw err;
    }
    this.logger.info({ ms: Math.round(performance.now() - started) }, 'checked that the component instantiates');
    if (probeKey !== undefined && probed) {
      if (probed.size >= MAX_PROBED) probed.clear();
      probed.add(probeKey);
    }
  }

  /** http serves one buffered HTTP request. */
  http(req: HttpRequestData): Promise<HttpResponseData> {
    return this.#call((cx, id) => ({ t: 'http', cx, id, req })) as Promise<HttpResponseData>;
  }

  /** invoke calls an export of the component (`iface` '' for a plain function export), under the current span if any. */
  invoke(iface: string, fn: string, args: readonly unknown[]): Promise<unknown> {
    const current = this.#options.tracing?.scope.current();
    const traceparent = current ? formatTraceparent(current) : undefined;
    return this.#call((cx, id) => ({ t: 'invoke', cx, id, iface, fn, args: [...args], traceparent }));
  }

  async #call(build: (cx: number, id: number) => CallMessage, kind: 'call' | 'probe' = 'call'): Promise<unknown> {
    if (this.#draining) throw new SkiffError('SKIFF_STOPPED', `${this.#label} is stopping`);
    this.#pending++;
    try {
      const lease = await this.#pool.acquire(this);
      try {
        if (this.#lost) {
          this.#lost = false;
          this.#options.onEvent?.('restart');
        }
        return await new Promise((resolve, reject) => {
          lease.thread.run(build(lease.cx, this.#pool.callId()), this.#sink(lease.thread, kind, resolve, reject));
        });
      } finally {
        this.#pool.release(lease.thread);
      }
    } finally {
      this.#pending--;
      if (this.#pending === 0) this.#drained?.();
    }
  }

  #sink(
    thread: { kill(err: Error): void },
    kind: 'call' | 'probe',
    resolve: (v: unknown) => void,
    reject: (e: Error) => void,
  ): CallSink {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const onTimeout = (phase: 'run' | 'instantiate', ms: number) => {
      if (settled) return;
      this.#options.onEvent?.('timeout');
      this.#lost = true;
      const message =
        phase === 'instantiate'
          ? `${this.#label} did not finish instantiating within ${ms} ms`
          : `${this.#label} ran longer than ${ms} ms and was stopped`;
      this.logger.warn({ timeoutMs: ms, phase }, 'guest ran past its timeout; terminating its thread');
      settle(() => reject(new InstanceTimeoutError(message)));
      // The thread is leased to this component: only its own calls run there.
      thread.kill(new InstanceTimeoutError(`${this.#label} was restarted after another request timed out`));
    };
    // The clock runs while an instance runs the call, and apart from it while an instance is
    // created; not while the call waits for a free instance.
    const arm = (phase: 'run' | 'instantiate') => {
      clearTimeout(timer);
      if (settled) return;
      const ms = phase === 'run' ? this.#options.timeoutMs : this.#startTimeoutMs;
      timer = setTimeout(() => onTimeout(phase, ms), ms);
    };
    arm(kind === 'probe' ? 'instantiate' : 'run');
    return {
      queued: () => clearTimeout(timer),
      instantiating: () => arm('instantiate'),
      begin: () => arm('run'),
      done: (value) => settle(() => resolve(value)),
      failed: (code, error) =>
        settle(() => {
          if (kind === 'probe') reject(new GuestError(code, `${this.#label} failed to instantiate: ${error}`));
          else if (code === 'SKIFF_TRAP') reject(new InstanceTrapError(error));
          else reject(new GuestError(code, error));
        }),
      lost: (err) =>
        settle(() => {
          this.#lost = true;
          if ((err as SkiffError).code === 'SKIFF_WORKER_CRASHED') this.#options.onEvent?.('crash');
          if (err instanceof InstanceTimeoutError) reject(err);
          else
            reject(new GuestError((err as SkiffError).code ?? 'SKIFF_WORKER_EXITED', `${this.#label}: ${err.message}`));
        }),
    };
  }

  /**
   * stop refuses new calls, lets the calls in flight finish (up to the invocation
   * timeout), then closes the component's contexts; calls still running after that are
   * stopped with the threads they run on.
   */
  async stop(): Promise<void> {
    this.#draining = true;
    if (this.#pending > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#options.timeoutMs);
        this.#drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const stopped = new SkiffError('SKIFF_STOPPED', `${this.#label} stopped`);
    for (const thread of this.#pool.held(this.key)) thread.kill(stopped);
    this.#pool.forget(this.key, stopped);
  }
}
