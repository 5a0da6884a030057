/**
 * WorkerPool shares a bounded set of workload threads among every component on the host.
 * A thread is leased to one component while that component has calls in flight on it;
 * between leases it keeps the component contexts it served (their instances stay warm)
 * until they have been idle for `idleTimeoutMs`, and a thread with nothing open exits.
 * So an idle workload holds no instance and no thread, and a timeout, which terminates a
 * thread, only ever fails calls of the component that holds its lease.
 * When every thread is leased and no more may start, calls wait in one FIFO queue; while
 * anyone waits, a lease takes no new calls, so a busy component cannot starve the others.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../telemetry/logger.js';
import { SkiffError } from '../errors.js';
import { type Tenant, WorkloadThread } from './thread.js';

/** PoolOptions configure a WorkerPool. */
export interface PoolOptions {
  /** spawn starts a workload thread waiting for its first message. */
  spawn: () => Worker;
  logger: Logger;
  /** maxThreads bounds the workload threads (default DEFAULT_MAX_THREADS). */
  maxThreads?: number | undefined;
  /** idleTimeoutMs is how long a component context stays open unused (default DEFAULT_IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number | undefined;
  /** maxContextsPerThread bounds the component contexts one thread keeps open (default DEFAULT_MAX_CONTEXTS). */
  maxContextsPerThread?: number | undefined;
  /** maxServiceThreads bounds the threads services may take out of maxThreads (default: half of it, rounded down). */
  maxServiceThreads?: number | undefined;
}

/** DEFAULT_IDLE_TIMEOUT_MS is how long an unused component keeps its instances (one minute). */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** DEFAULT_MAX_THREADS is four workload threads per CPU, at least eight. */
export const DEFAULT_MAX_THREADS = Math.max(8, 4 * availableParallelism());
/** DEFAULT_MAX_CONTEXTS bounds the idle components a thread keeps warm. */
export const DEFAULT_MAX_CONTEXTS = 16;
/**
 * MAX_PROGRAMS_PER_THREAD retires a thread that has loaded this many different transpiled
 * modules: JS modules cannot be unloaded, so a thread serving ever new components would
 * only grow.
 */
export const MAX_PROGRAMS_PER_THREAD = 32;

/** Lease is a thread leased to a tenant for one call, and the tenant's context on it. */
export interface Lease {
  readonly thread: WorkloadThread;
  readonly cx: number;
}

/** PoolStats describe the pool at one moment. */
export interface PoolStats {
  /** threads is the number of workload threads alive. */
  readonly threads: number;
  /** contexts is the number of component contexts open (components with warm instances). */
  readonly contexts: number;
  /** leased is the number of threads running calls. */
  readonly leased: number;
  /** queued is the number of calls waiting for a thread. */
  readonly queued: number;
  /** services is the number of threads reserved for long-running services (out of maxThreads). */
  readonly services: number;
  /** maxServices is the most threads services may hold (maxServiceThreads). */
  readonly maxServices: number;
}

/** ThreadReservation is one thread of the pool's budget held by a long-running service. */
export interface ThreadReservation {
  /** spawn starts a fresh thread for one run of the service and opens its context there. */
  spawn(tenant: Tenant): Lease;
  /** release gives the budget back (the caller kills the thread it spawned first). */
  release(): void;
}

/** ServiceCapacityError means every thread services may hold is held: the service cannot start. */
export class ServiceCapacityError extends SkiffError {
  constructor(max: number) {
    super('SKIFF_SERVICE_CAPACITY', `the host runs ${max} services, the most its threads allow (maxServiceThreads)`);
  }
}

interface Waiter {
  readonly tenant: Tenant;
  resolve(lease: Lease): void;
  reject(err: Error): void;
}

/** WorkerPool leases workload threads to components, one component per thread at a time. */
export class WorkerPool {
  readonly #spawn: () => Worker;
  readonly #logger: Logger;
  readonly #max: number;
  readonly #idleMs: number;
  readonly #maxContexts: number;
  readonly #maxServices: number;
  #reserved = 0;
  readonly #threads: WorkloadThread[] = [];
  readonly #queue: Waiter[] = [];
  /** #holding points each tenant at a thread it holds a lease on (the fast path of a busy component). */
  readonly #holding = new Map<number, WorkloadThread>();
  readonly #sweeper: NodeJS.Timeout;
  #nextCx = 1;
  #nextCall = 1;
  #nextTenant = 1;
  #closed = false;

  constructor(options: PoolOptions) {
    this.#spawn = options.spawn;
    this.#logger = options.logger;
    this.#max = Math.max(1, options.maxThreads ?? DEFAULT_MAX_THREADS);
    this.#idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#maxContexts = Math.max(1, options.maxContextsPerThread ?? DEFAULT_MAX_CONTEXTS);
    // At least one thread always stays for calls.
    this.#maxServices = Math.min(this.#max - 1, Math.max(0, options.maxServiceThreads ?? Math.floor(this.#max / 2)));
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(50, Math.min(this.#idleMs / 4, 5000)));
    this.#sweeper.unref();
  }

  /** tenantKey returns a new tenant key. */
  tenantKey(): number {
    return this.#nextTenant++;
  }

  /** callId returns a call id unique on the host. */
  callId(): number {
    return this.#nextCall++;
  }

  /** stats describes the pool now. */
  stats(): PoolStats {
    const live = this.#threads.filter((t) => !t.dead);
    return {
      threads: live.length,
      contexts: live.reduce((n, t) => n + t.contexts, 0),
      leased: live.filter((t) => t.holder !== undefined).length,
      queued: this.#queue.length,
      services: this.#reserved,
      maxServices: this.#maxServices,
    };
  }

  /**
   * reserve takes one thread out of the budget calls share, for a long-running service
   * (ADR 0021): its threads run nothing else and are not counted as pool threads. Throws
   * ServiceCapacityError when services hold `maxServiceThreads` already.
   */
  reserve(): ThreadReservation {
    if (this.#closed) throw new SkiffError('SKIFF_STOPPED', 'the host is stopping');
    if (this.#reserved >= this.#maxServices) throw new ServiceCapacityError(this.#maxServices);
    this.#reserved++;
    const live = this.#threads.filter((t) => !t.dead);
    const idle = live.find((t) => t.holder === undefined); // past the budget, an idle thread makes room
    if (live.length + this.#reserved > this.#max && idle) this.#retire(idle);
    let released = false;
    return {
      spawn: (tenant) => {
        if (released || this.#closed) throw new SkiffError('SKIFF_STOPPED', 'the service thread was released');
        const thread = new WorkloadThread(this.#spawn(), this.#logger, () => undefined);
        return { thread, cx: thread.open(tenant, () => this.#nextCx++) };
      },
      release: () => {
        if (released) return;
        released = true;
        this.#reserved--;
        this.#dispatch();
      },
    };
  }

  /** acquire leases a thread to `tenant` for one call (waiting if every thread is leased) and opens its context there. */
  acquire(tenant: Tenant): Promise<Lease> {
    if (this.#closed) return Promise.reject(new SkiffError('SKIFF_STOPPED', 'the host is stopping'));
    if (this.#queue.length === 0) {
      const held = this.#holding.get(tenant.key);
      if (held && !held.dead && held.holder === tenant.key) return Promise.resolve(this.#lease(held, tenant));
      const own = this.#threads
        .filter((t) => !t.dead && t.holder === tenant.key)
        .sort((a, b) => a.inflight - b.inflight)[0];
      const thread = own ?? this.#freeThread(tenant.key) ?? this.#newThread();
      if (thread) return Promise.resolve(this.#lease(thread, tenant));
    }
    return new Promise((resolve, reject) => this.#queue.push({ tenant, resolve, reject }));
  }

  /** release ends one call of the lease holder; the last one frees the thread for the next waiter. */
  release(thread: WorkloadThread): void {
    if (thread.dead) return;
    thread.inflight--;
    if (thread.inflight > 0) return;
    if (this.#holding.get(thread.holder!) === thread) this.#holding.delete(thread.holder!);
    thread.holder = undefined;
    thread.idleSince = Date.now();
    if (thread.programs.size >= MAX_PROGRAMS_PER_THREAD) this.#retire(thread);
    this.#dispatch();
  }

  /** closeContexts closes the tenant's contexts on every thread (its instances go with them). */
  closeContexts(tenant: number): void {
    for (const t of this.#threads) if (!t.dead) t.close(tenant);
  }

  /** forget fails the tenant's waiting calls with `err` and closes its contexts. */
  forget(tenant: number, err: Error): void {
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      const w = this.#queue[i]!;
      if (w.tenant.key === tenant) {
        this.#queue.splice(i, 1);
        w.reject(err);
      }
    }
    this.closeContexts(tenant);
  }

  /** held returns the live threads leased to `tenant`. */
  held(tenant: number): WorkloadThread[] {
    return this.#threads.filter((t) => !t.dead && t.holder === tenant);
  }

  /** close fails waiting calls and shuts every thread down (terminating those that do not exit within `graceMs`). */
  async close(graceMs = 2000): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const w of this.#queue.splice(0)) w.reject(new SkiffError('SKIFF_STOPPED', 'the host is stopping'));
    await Promise.all(this.#threads.splice(0).map((t) => t.shutdown(graceMs)));
  }

  #lease(thread: WorkloadThread, tenant: Tenant): Lease {
    thread.holder = tenant.key;
    thread.inflight++;
    this.#holding.set(tenant.key, thread);
    if (thread.lastUsedBy(tenant.key) === undefined && thread.contexts >= this.#maxContexts) {
      thread.closeLeastRecent(tenant.key);
    }
    return { thread, cx: thread.open(tenant, () => this.#nextCx++) };
  }

  /** #freeThread picks an unleased thread: one where the tenant is warm, else the one with the fewest contexts. */
  #freeThread(tenant: number): WorkloadThread | undefined {
    let best: WorkloadThread | undefined;
    let bestWarm = -1;
    for (const t of this.#threads) {
      if (t.dead || t.holder !== undefined) continue;
      const warm = t.lastUsedBy(tenant) ?? -1;
      if (!best || warm > bestWarm || (warm === bestWarm && t.contexts < best.contexts)) {
        best = t;
        bestWarm = warm;
      }
    }
    return best;
  }

  #newThread(): WorkloadThread | undefined {
    if (this.#closed || this.#threads.filter((t) => !t.dead).length + this.#reserved >= this.#max) return undefined;
    const thread = new WorkloadThread(this.#spawn(), this.#logger, (t) => this.#onExit(t));
    this.#threads.push(thread);
    return thread;
  }

  #onExit(thread: WorkloadThread): void {
    const i = this.#threads.indexOf(thread);
    if (i >= 0) this.#threads.splice(i, 1);
    if (thread.holder !== undefined && this.#holding.get(thread.holder) === thread) this.#holding.delete(thread.holder);
    // A lost thread frees room for a new one.
    setImmediate(() => this.#dispatch());
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      const head = this.#queue[0]!;
      const thread = this.#freeThread(head.tenant.key) ?? this.#newThread();
      if (!thread) return;
      // The head's other waiting calls ride the same lease.
      for (let i = 0; i < this.#queue.length; ) {
        const w = this.#queue[i]!;
        if (w.tenant.key !== head.tenant.key) {
          i++;
          continue;
        }
        this.#queue.splice(i, 1);
        w.resolve(this.#lease(thread, w.tenant));
      }
    }
  }

  #sweep(): void {
    const now = Date.now();
    for (const t of [...this.#threads]) {
      if (t.dead) continue;
      t.closeIdle(now - this.#idleMs);
      if (t.holder === undefined && t.contexts === 0 && now - t.idleSince >= this.#idleMs) this.#retire(t);
    }
  }

  /** #retire takes a free thread out of the pool and lets it shut down. */
  #retire(thread: WorkloadThread): void {
    const i = this.#threads.indexOf(thread);
    if (i >= 0) this.#threads.splice(i, 1);
    void thread.shutdown(2000);
  }
}
