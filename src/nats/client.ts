/**
 * ControlClient is the controller side of the control protocol (used by `skiff ctl`, the
 * operator and tests): discover hosts, follow heartbeats, and send start / stop / status.
 * Replies are parsed with zod; an error reply becomes a ControlError.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  cordonReplySchema,
  credentialsReplySchema,
  type Heartbeat,
  heartbeatSchema,
  type StartRequest,
  type StopRequest,
  startReplySchema,
  statusReplySchema,
  stopReplySchema,
  type Workload,
  type WorkloadReport,
} from '../api/index.js';
import { BadMessageError, decode, encode } from './codec.js';
import type { HostChange, HostTracker } from './hosts.js';
import { HEARTBEATS, HOSTS_PING, hostAdminSubject, workloadSubject } from './subjects.js';

/** ControlError is an error reply from a host, or a host that did not answer; `code` is stable. */
export class ControlError extends Error {
  override readonly name = 'ControlError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** StopResult says how a stop went: `absent` when the host did not have the workload (nothing to do). */
export interface StopResult {
  readonly absent: boolean;
}

/**
 * StartExtras are what a start carries beside the Workload (ADR 0007, Revision 2): its
 * revision, sources and pull credentials, and in account mode the namespace's user JWT (ADR 0022).
 */
export type StartExtras = Pick<StartRequest, 'revision' | 'sources' | 'pullCredentials' | 'natsCredentials'>;

/** ControlClientOptions bound how long requests wait. */
export interface ControlClientOptions {
  /** timeoutMs bounds stop and status requests (default 10 s). */
  readonly timeoutMs?: number;
  /** startTimeoutMs bounds start requests, which may fetch and compile a component (default 120 s). */
  readonly startTimeoutMs?: number;
}

/** ControlClient sends control requests over one NATS connection. */
export class ControlClient {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;
  readonly #startTimeoutMs: number;

  constructor(nc: NatsConnection, options: ControlClientOptions = {}) {
    this.#nc = nc;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#startTimeoutMs = options.startTimeoutMs ?? 120_000;
  }

  /** ping asks every host for its heartbeat and collects the answers for `waitMs`. */
  async ping(waitMs = 1_000): Promise<Heartbeat[]> {
    const found = new Map<string, Heartbeat>();
    try {
      const replies = await this.#nc.requestMany(HOSTS_PING, encode({}), { strategy: 'timer', maxWait: waitMs });
      for await (const msg of replies) {
        const hb = tryDecodeHeartbeat(msg);
        if (hb && !hb.stopping) found.set(hb.hostId, hb);
      }
    } catch (err) {
      if (!isNoResponders(err)) throw err;
    }
    return [...found.values()].sort((a, b) => a.hostId.localeCompare(b.hostId));
  }

  /** watchHeartbeats feeds every valid heartbeat to `tracker` (bad ones are dropped) until unsubscribed. */
  watchHeartbeats(tracker: HostTracker, onChange?: (change: HostChange, heartbeat: Heartbeat) => void): Subscription {
    return this.#nc.subscribe(HEARTBEATS, {
      callback: (err, msg) => {
        if (err) return;
        const hb = tryDecodeHeartbeat(msg);
        if (!hb) return;
        const change = tracker.observe(hb);
        onChange?.(change, hb);
      },
    });
  }

  /**
   * start asks `hostId` to run `workload` and resolves with its report once it runs. `extras`
   * are sent only when set, so a host from before Revision 2 still takes a start without them.
   */
  async start(hostId: string, workload: Workload, baseDir?: string, extras: StartExtras = {}): Promise<WorkloadReport> {
    const body: StartRequest = { workload, ...(baseDir === undefined ? {} : { baseDir }) };
    if (extras.revision !== undefined) body.revision = extras.revision;
    if (extras.sources !== undefined) body.sources = extras.sources;
    if (extras.pullCredentials !== undefined) body.pullCredentials = extras.pullCredentials;
    if (extras.natsCredentials !== undefined) body.natsCredentials = extras.natsCredentials;
    const reply = await this.#request(workloadSubject(hostId, 'start'), body, startReplySchema, this.#startTimeoutMs);
    if (!reply.ok) throw new ControlError(reply.error.code, reply.error.message);
    return reply.workload;
  }

  /**
   * stop asks `hostId` to stop workload `id` (`namespace/name`). With `uid`, only that
   * incarnation is stopped: another uid under the same name fails with SKIFF_UID_MISMATCH.
   * A workload the host does not have is not an error (`absent: true`). With `drainMs` (only
   * for hosts announcing FEATURE_DRAIN) the host drains the workload that long first; the
   * answer comes after the stop, so the wait is bounded by the timeout plus `drainMs`.
   */
  async stop(hostId: string, id: string, uid?: string, options: { drainMs?: number } = {}): Promise<StopResult> {
    const body: StopRequest = uid === undefined ? { id } : { id, uid };
    if (options.drainMs !== undefined && options.drainMs > 0) body.drainMs = options.drainMs;
    const timeout = this.#timeoutMs + (body.drainMs ?? 0);
    const reply = await this.#request(workloadSubject(hostId, 'stop'), body, stopReplySchema, timeout);
    if (!reply.ok) throw new ControlError(reply.error.code, reply.error.message);
    return { absent: reply.absent === true };
  }

  /** cordon cordons `hostId` (it then refuses starts of workloads it does not run) or uncordons it; resolves with the new state. */
  async cordon(hostId: string, cordoned: boolean): Promise<boolean> {
    const subject = hostAdminSubject(hostId, cordoned ? 'cordon' : 'uncordon');
    const reply = await this.#request(subject, {}, cordonReplySchema, this.#timeoutMs);
    if (!reply.ok) throw new ControlError(reply.error.code, reply.error.message);
    return reply.cordoned;
  }

  /** credentials hands `hostId` (in account mode) a newer user JWT of `namespace` (ADR 0022). */
  async credentials(hostId: string, namespace: string, jwt: string): Promise<void> {
    const subject = hostAdminSubject(hostId, 'credentials');
    const reply = await this.#request(subject, { namespace, jwt }, credentialsReplySchema, this.#timeoutMs);
    if (!reply.ok) throw new ControlError(reply.error.code, reply.error.message);
  }

  /** status asks `hostId` about workload `id`, or about every workload when id is absent. */
  async status(hostId: string, id?: string): Promise<WorkloadReport[]> {
    const body = id === undefined ? {} : { id };
    const reply = await this.#request(workloadSubject(hostId, 'status'), body, statusReplySchema, this.#timeoutMs);
    if (!reply.ok) throw new ControlError(reply.error.code, reply.error.message);
    return reply.workloads;
  }

  /** requestRaw sends any bytes to a subject and returns the raw reply (for tests of bad messages). */
  async requestRaw(subject: string, data: Uint8Array): Promise<unknown> {
    const msg = await this.#nc.request(subject, data, { timeout: this.#timeoutMs });
    return msg.json();
  }

  async #request<S extends Parameters<typeof decode>[0]>(
    subject: string,
    body: unknown,
    schema: S,
    timeout: number,
  ): Promise<ReturnType<S['parse']>> {
    let msg: Msg;
    try {
      msg = await this.#nc.request(subject, encode(body), { timeout });
    } catch (err) {
      const e = err as Error;
      const host = subject.split('.')[2];
      if (isNoResponders(e)) {
        throw new ControlError('SKIFF_HOST_UNREACHABLE', `host ${host} is not connected (no responders)`, {
          cause: err,
        });
      }
      if (e.name === 'TimeoutError' || /timeout/i.test(e.message)) {
        throw new ControlError('SKIFF_TIMEOUT', `host ${host} did not answer within ${timeout} ms`, { cause: err });
      }
      throw err;
    }
    try {
      return decode(schema, msg.data, `reply on ${subject}`) as ReturnType<S['parse']>;
    } catch (err) {
      if (err instanceof BadMessageError) throw new ControlError(err.code, err.message, { cause: err });
      throw err;
    }
  }
}

function isNoResponders(err: unknown): boolean {
  const e = err as Error & { cause?: unknown };
  return e.name === 'NoRespondersError' || /no responders/i.test(e.message) || (!!e.cause && isNoResponders(e.cause));
}

function tryDecodeHeartbeat(msg: Msg): Heartbeat | undefined {
  try {
    return decode(heartbeatSchema, msg.data, 'heartbeat');
  } catch {
    return undefined;
  }
}
