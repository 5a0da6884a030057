/**
 * WorkloadThread is the main-thread handle on one workload thread: the calls it runs, the
 * component contexts open on it (each with the main-thread end of its bridge channel),
 * and which component holds its lease. Killing it fails only the calls it runs, which all
 * belong to the lease holder.
 */
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { Logger } from '../../telemetry/logger.js';
import type { SpanRecord } from '../../telemetry/tracing/records.js';
import type { TraceScope } from '../../telemetry/tracing/scope.js';
import type { RpcCall } from '../channel/bridge.js';
import type { CallMessage, ComponentProgram, FromWorker, ToWorker } from '../channel/messages.js';
import { SkiffError } from '../errors.js';
import type { ImportFragment } from '../plugin.js';
import { BridgeServer } from './bridge-server.js';
import type { LoopbackHub } from './loopback.js';

/** CallSink receives what a thread reports about one call. */
export interface CallSink {
  queued(): void;
  instantiating(): void;
  begin(): void;
  done(value: unknown): void;
  failed(code: string, error: string): void;
  /** lost means the thread ended before answering. */
  lost(err: Error): void;
}

/** Tenant is a component (of a workload) as the pool sees it: what it runs and where its output goes. */
export interface Tenant {
  /** key identifies the tenant on the host. */
  readonly key: number;
  readonly program: ComponentProgram;
  readonly fragment: ImportFragment;
  readonly logger: Logger;
  /** onEvent reports a discarded instance ('trap'). */
  onEvent(event: 'trap'): void;
  /** traceScope, when the host traces, is where bridged plugin calls find their span. */
  readonly traceScope?: TraceScope | undefined;
  /** onSpans takes the spans a traced call collected. */
  onSpans?(spans: SpanRecord[]): void;
  /** loopback is the tenant's workload's virtual loopback, when it has one. */
  readonly loopback?: LoopbackHub | undefined;
}

interface OpenContext {
  readonly cx: number;
  readonly tenant: Tenant;
  readonly server: BridgeServer;
  /** port is the main-thread end of the context's bridge channel. */
  readonly port: MessagePort;
  lastUsed: number;
}

/** WorkloadThread wraps one workload thread. */
export class WorkloadThread {
  readonly worker: Worker;
  /** holder is the key of the tenant leasing the thread, while it has calls in flight. */
  holder: number | undefined;
  /** inflight counts the lease holder's calls on this thread. */
  inflight = 0;
  /** idleSince is when the thread last became free (for the idle sweep). */
  idleSince = Date.now();
  /** programs are the transpiled modules the thread has loaded (a module stays loaded until the thread ends). */
  readonly programs = new Set<string>();
  #dead = false;
  readonly #calls = new Map<number, CallSink>();
  readonly #contexts = new Map<number, OpenContext>();
  /** #byTenant finds a tenant's open context (one per tenant) without a scan. */
  readonly #byTenant = new Map<number, OpenContext>();
  /** #connections are the connection counts of the contexts not yet closed, with their workload's total. */
  readonly #connections = new Map<number, { own: Int32Array; total: Int32Array }>();
  /** #closing keeps the tenants of contexts being closed, for the output they flush on the way out. */
  readonly #closing = new Map<number, Tenant>();
  readonly #onExit: (thread: WorkloadThread) => void;
  readonly #logger: Logger;

  constructor(worker: Worker, logger: Logger, onExit: (thread: WorkloadThread) => void) {
    this.worker = worker;
    this.#logger = logger;
    this.#onExit = onExit;
    worker.on('message', (message: FromWorker) => this.#onMessage(message));
    worker.on('error', (err) => {
      logger.error({ err }, 'workload thread crashed');
      this.#end(new SkiffError('SKIFF_WORKER_CRASHED', `workload thread crashed: ${err.message}`));
    });
    worker.on('exit', () => this.#end(new SkiffError('SKIFF_WORKER_EXITED', 'workload thread exited')));
  }

  /** dead says whether the thread ended or is being killed. */
  get dead(): boolean {
    return this.#dead;
  }

  /** contexts is the number of component contexts open on the thread. */
  get contexts(): number {
    return this.#contexts.size;
  }

  /** lastUsedBy returns when `tenant` last ran a call here, or undefined if it has no context here. */
  lastUsedBy(tenant: number): number | undefined {
    return this.#byTenant.get(tenant)?.lastUsed;
  }

  /** open returns the tenant's context on this thread, opening one (with its bridge channel) if needed. */
  open(tenant: Tenant, cx: () => number): number {
    const open = this.#byTenant.get(tenant.key);
    if (open) {
      open.lastUsed = Date.now();
      return open.cx;
    }
    const id = cx();
    this.programs.add(tenant.program.moduleUrl);
    const server = new BridgeServer(tenant.fragment, tenant.logger, tenant.traceScope);
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (call: RpcCall) => {
      void server.handle(call).then((reply) => {
        if (reply) port1.postMessage(reply);
      });
    });
    // The thread's own reference decides whether the process stays up, not the channel.
    port1.unref();
    const context = { cx: id, tenant, server, port: port1, lastUsed: Date.now() };
    this.#contexts.set(id, context);
    this.#byTenant.set(tenant.key, context);
    const loopback = tenant.loopback?.attach();
    const connections = new Int32Array(new SharedArrayBuffer(4));
    this.#connections.set(id, { own: connections, total: tenant.program.sockets.counter });
    this.#post(
      { t: 'open', cx: id, program: tenant.program, bridge: port2, connections, ...(loopback ? { loopback } : {}) },
      loopback ? [port2, loopback] : [port2],
    );
    return id;
  }

  /** close closes the tenant's context on this thread, if one is open. */
  close(tenant: number): void {
    const open = this.#byTenant.get(tenant);
    if (open) this.#closeContext(open);
  }

  /** closeIdle closes contexts unused since `before` whose tenant is not running calls here; it returns how many. */
  closeIdle(before: number): number {
    let closed = 0;
    for (const c of this.#contexts.values()) {
      if (c.lastUsed < before && !(this.holder === c.tenant.key && this.inflight > 0)) {
        this.#closeContext(c);
        closed++;
      }
    }
    return closed;
  }

  /** closeLeastRecent closes the least recently used context of a tenant other than `keep`. */
  closeLeastRecent(keep: number): void {
    let oldest: OpenContext | undefined;
    for (const c of this.#contexts.values()) {
      if (c.tenant.key !== keep && (!oldest || c.lastUsed < oldest.lastUsed)) oldest = c;
    }
    if (oldest) this.#closeContext(oldest);
  }

  #closeContext(c: OpenContext): void {
    this.#contexts.delete(c.cx);
    this.#byTenant.delete(c.tenant.key);
    this.#closing.set(c.cx, c.tenant);
    c.server.dispose();
    c.port.close();
    this.#post({ t: 'close', cx: c.cx });
  }

  /** run sends a call; its outcome goes to `sink`. */
  run(message: CallMessage, sink: CallSink): void {
    if (this.#dead) {
      sink.lost(new SkiffError('SKIFF_WORKER_EXITED', 'workload thread exited'));
      return;
    }
    this.#calls.set(message.id, sink);
    this.#post(message);
  }

  /** kill terminates the thread: every call it runs is lost with `err`. */
  kill(err: Error): void {
    this.#end(err);
    void this.worker.terminate();
  }

  /** shutdown asks the thread to close its contexts and exit, terminating it after `graceMs`. */
  async shutdown(graceMs: number): Promise<void> {
    if (this.#dead) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    const timer = setTimeout(() => void this.worker.terminate(), graceMs);
    this.#post({ t: 'shutdown' });
    await exited;
    clearTimeout(timer);
  }

  #post(message: ToWorker, transfer?: MessagePort[]): void {
    if (!this.#dead) this.worker.postMessage(message, transfer);
  }

  #end(err: Error): void {
    if (this.#dead) return;
    this.#dead = true;
    // Connections die with the thread: give their slots back to each workload's budget.
    for (const { own, total } of this.#connections.values()) Atomics.sub(total, 0, Atomics.exchange(own, 0, 0));
    this.#connections.clear();
    for (const sink of this.#calls.values()) sink.lost(err);
    this.#calls.clear();
    for (const c of this.#contexts.values()) {
      c.server.dispose();
      c.port.close();
    }
    this.#contexts.clear();
    this.#byTenant.clear();
    this.#onExit(this);
  }

  #onMessage(message: FromWorker): void {
    switch (message.t) {
      case 'log': {
        const tenant = this.#tenantOf(message.cx);
        tenant?.logger.info({ stream: message.stream }, message.line);
        break;
      }
      case 'record': {
        const logger = message.cx === 0 ? this.#logger : this.#tenantOf(message.cx)?.logger;
        if (logger) forwardRecord(logger, message.line);
        break;
      }
      case 'instance-discarded': {
        const tenant = this.#tenantOf(message.cx);
        tenant?.logger.warn({ reason: message.reason }, 'guest instance discarded');
        tenant?.onEvent('trap');
        break;
      }
      case 'spans':
        this.#tenantOf(message.cx)?.onSpans?.(message.spans);
        break;
      case 'closed':
        this.#closing.delete(message.cx);
        this.#connections.delete(message.cx);
        break;
      case 'queued':
        this.#calls.get(message.id)?.queued();
        break;
      case 'instantiating':
        this.#calls.get(message.id)?.instantiating();
        break;
      case 'begin':
        this.#calls.get(message.id)?.begin();
        break;
      case 'done': {
        const sink = this.#calls.get(message.id);
        this.#calls.delete(message.id);
        sink?.done(message.value);
        break;
      }
      case 'failed': {
        const sink = this.#calls.get(message.id);
        this.#calls.delete(message.id);
        sink?.failed(message.code, message.error);
        break;
      }
      default:
        break;
    }
  }

  #tenantOf(cx: number): Tenant | undefined {
    return this.#contexts.get(cx)?.tenant ?? this.#closing.get(cx);
  }
}

const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** forwardRecord writes a JSON log line from a workload thread's plugin copy into `logger`, at its level. */
function forwardRecord(logger: Logger, line: string): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const { level, msg, time: _time, ...fields } = record;
  logger[LEVELS[level as number] ?? 'info'](fields, typeof msg === 'string' ? msg : '');
}
