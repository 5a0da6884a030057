/**
 * Leader election on a coordination.k8s.io/v1 Lease, client-go's algorithm: create the
 * Lease if missing; take it when it is ours or expired by our own observation time; every
 * write is an update conditional on the observed resourceVersion; and a leader that cannot
 * renew within renewDeadline steps down before anyone else may take the Lease.
 */
import { z } from 'zod';
import type { Logger } from '../../telemetry/logger.js';
import { sleep } from './backoff.js';
import type { Kube } from './client.js';
import { isKubeError, KubeTimeoutError } from './errors.js';
import { type KubeObject, LEASES, microTime } from './resources.js';

/** LeaderElectorOptions configure a LeaderElector (durations in milliseconds). */
export interface LeaderElectorOptions {
  kube: Kube;
  namespace: string;
  name: string;
  identity: string;
  /** How long a Lease is valid after its last renewal, for candidates (default 15 s; whole seconds). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it steps down (default 10 s). */
  renewDeadlineMs?: number;
  /** Pause between attempts (default 2 s; candidates add up to 1.2× as jitter). */
  retryPeriodMs?: number;
  logger: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  now?: () => number;
}

/** LeaderConfigError is an impossible timing: leaseDuration > renewDeadline > 1.2 × retryPeriod must hold. */
export class LeaderConfigError extends Error {
  override readonly name = 'LeaderConfigError';
  readonly code = 'SKIFF_LEADER_CONFIG';
}

const leaseSpecSchema = z.looseObject({
  holderIdentity: z.string().max(1024).nullish(),
  leaseDurationSeconds: z.number().int().nullish(),
  acquireTime: z.string().nullish(),
  renewTime: z.string().nullish(),
  leaseTransitions: z.number().int().nullish(),
});

type LeaseSpec = z.infer<typeof leaseSpecSchema>;

/** LeaderElector campaigns for one Lease and reports when this process leads. */
export class LeaderElector {
  readonly #o: LeaderElectorOptions;
  readonly #lease: number;
  readonly #renewDeadline: number;
  readonly #retry: number;
  readonly #now: () => number;
  readonly #logger: Logger;
  #observed: KubeObject | undefined;
  #observedAt = 0;
  #leading = false;
  #renewedAt = 0;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #renewAbort: AbortController | undefined;
  #waiters: (() => void)[] = [];

  constructor(options: LeaderElectorOptions) {
    this.#o = options;
    this.#lease = options.leaseDurationMs ?? 15_000;
    this.#renewDeadline = options.renewDeadlineMs ?? 10_000;
    this.#retry = options.retryPeriodMs ?? 2_000;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger.child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
    if (!(this.#lease > this.#renewDeadline && this.#renewDeadline > 1.2 * this.#retry && this.#retry > 0)) {
      throw new LeaderConfigError(
        `leader election needs leaseDuration > renewDeadline > 1.2 × retryPeriod > 0 (got ${this.#lease}, ${this.#renewDeadline}, ${this.#retry} ms)`,
      );
    }
  }

  /** isLeader is true while this process holds the Lease and has renewed it within renewDeadline. */
  get isLeader(): boolean {
    return this.#leading;
  }

  /** start begins campaigning; it returns at once. */
  start(): void {
    if (this.#abort) return;
    this.#abort = new AbortController();
    const signal = this.#abort.signal;
    this.#loop = this.#run(signal).catch((err) => this.#logger.error({ err }, 'leader election loop failed'));
  }

  /** stop ends campaigning; a leader steps down (onStoppedLeading) and then releases the Lease so a successor takes over at once. */
  async stop(): Promise<void> {
    const abort = this.#abort;
    if (!abort) return;
    abort.abort();
    this.#renewAbort?.abort();
    await this.#loop;
    this.#abort = undefined;
    const held = this.#holder() === this.#o.identity;
    const wasLeading = this.#leading;
    if (wasLeading) this.#stepDown('stopping');
    if (held && wasLeading) await this.#release();
  }

  /** waitForLeadership resolves once this process leads, or rejects with KubeTimeoutError after `timeoutMs`. */
  waitForLeadership(timeoutMs: number): Promise<void> {
    if (this.#leading) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        reject(new KubeTimeoutError(`${this.#o.identity} did not become leader within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(wake);
    });
  }

  #spec(lease: KubeObject): LeaseSpec {
    const parsed = leaseSpecSchema.safeParse(lease.spec ?? {});
    return parsed.success ? parsed.data : {};
  }

  /** #observe records a Lease read or written; the local observation time moves only when the Lease changed. */
  #observe(lease: KubeObject, at: number): void {
    if (lease.metadata.resourceVersion !== this.#observed?.metadata.resourceVersion) this.#observedAt = at;
    this.#observed = lease;
  }

  #record(now: number, previous: LeaseSpec | undefined): Record<string, unknown> {
    const ours = previous?.holderIdentity === this.#o.identity;
    return {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.ceil(this.#lease / 1000),
      acquireTime: ours && previous?.acquireTime ? previous.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (previous && !ours ? 1 : 0),
    };
  }

  /** #tryAcquireOrRenew makes one attempt; true when this process holds a freshly renewed Lease. */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { kube, namespace, name, identity } = this.#o;
    const call = { signal, timeoutMs: this.#renewDeadline };
    try {
      const lease = await kube.get(LEASES, namespace, name, call);
      if (!lease) {
        const sentAt = this.#now();
        const created = await kube.create(
          LEASES,
          { metadata: { name, namespace }, spec: this.#record(sentAt, undefined) },
          call,
        );
        this.#observe(created, this.#now());
        this.#renewedAt = sentAt;
        return true;
      }
      this.#observe(lease, this.#now());
      const spec = this.#spec(lease);
      const holder = spec.holderIdentity ?? '';
      const duration = (spec.leaseDurationSeconds ?? 0) * 1000;
      if (holder !== '' && holder !== identity && this.#observedAt + duration > this.#now()) return false;
      const sentAt = this.#now();
      const next = { ...lease, spec: { ...(lease.spec as object), ...this.#record(sentAt, spec) } };
      const updated = await kube.replace(LEASES, next, call);
      this.#observe(updated, this.#now());
      this.#renewedAt = sentAt;
      return true;
    } catch (err) {
      if (signal.aborted) return false;
      if (isKubeError(err, 'SKIFF_KUBE_CONFLICT')) this.#logger.debug('lease changed meanwhile; someone else won');
      else this.#logger.warn({ err: String(err) }, 'lease attempt failed');
      return false;
    }
  }

  #holder(): string | undefined {
    return this.#observed ? (this.#spec(this.#observed).holderIdentity ?? undefined) : undefined;
  }

  #startLeading(): void {
    this.#leading = true;
    this.#logger.info('started leading');
    this.#armDeadline();
    for (const wake of this.#waiters.splice(0)) wake();
    try {
      this.#o.onStartedLeading();
    } catch (err) {
      this.#logger.error({ err }, 'onStartedLeading threw');
    }
  }

  #stepDown(why: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    clearTimeout(this.#deadline);
    this.#renewAbort?.abort();
    this.#logger.warn({ why }, 'stopped leading');
    try {
      this.#o.onStoppedLeading();
    } catch (err) {
      this.#logger.error({ err }, 'onStoppedLeading threw');
    }
  }

  /** #armDeadline steps down renewDeadline after the last successful renewal was sent, whatever requests are doing. */
  #armDeadline(): void {
    clearTimeout(this.#deadline);
    const left = this.#renewedAt + this.#renewDeadline - this.#now();
    this.#deadline = setTimeout(() => this.#stepDown('renew deadline passed'), Math.max(0, left));
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!this.#leading) {
        if (await this.#tryAcquireOrRenew(signal)) this.#startLeading();
        else await sleep(this.#retry * (1 + 1.2 * Math.random()), signal);
        continue;
      }
      if (!(await sleep(this.#retry, signal))) break;
      this.#renewAbort = new AbortController();
      const renewed = await this.#tryAcquireOrRenew(AbortSignal.any([signal, this.#renewAbort.signal]));
      if (renewed && this.#leading) this.#armDeadline();
      else if (this.#leading && this.#holder() !== this.#o.identity) this.#stepDown('lease taken by another holder');
    }
  }

  async #release(): Promise<void> {
    const lease = this.#observed;
    if (!lease) return;
    const now = this.#now();
    const spec = this.#spec(lease);
    const released = {
      ...(lease.spec as object),
      holderIdentity: undefined,
      leaseDurationSeconds: 1,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: spec.leaseTransitions ?? 0,
    };
    try {
      await this.#o.kube.replace(LEASES, { ...lease, spec: released }, { timeoutMs: this.#renewDeadline });
      this.#logger.info('released lease');
    } catch (err) {
      this.#logger.warn({ err: String(err) }, 'releasing the lease failed; successors wait for it to expire');
    }
  }
}
