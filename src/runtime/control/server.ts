/**
 * HostControl answers the control protocol for one host: start / stop / status requests on
 * `skiff.host.<id>.workload.*`, pings on `skiff.hosts.ping`, and a heartbeat every N seconds.
 * Every request is parsed with zod first; a bad one gets an error reply and changes nothing.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  type ProtocolErrorBody,
  type StartRequest,
  startRequestSchema,
  statusRequestSchema,
  stopRequestSchema,
  type WorkloadReport,
} from '../../api/index.js';
import { BadMessageError, decode, encode } from '../../nats/codec.js';
import { heartbeatSubject, HOSTS_PING, hostWorkloadSubjects } from '../../nats/subjects.js';
import type { Logger } from '../../telemetry/logger.js';
import type { HostApi } from '../host.js';
import { buildHeartbeat, type HostIdentity, toReport } from './heartbeat.js';

/** ControlledHost is what HostControl drives: the HostApi plus the host's id and interfaces. */
export interface ControlledHost extends HostApi {
  readonly id: string;
  readonly interfaces: readonly string[];
}

/** HostControlOptions configure the protocol side of a host. */
export interface HostControlOptions {
  readonly nc: NatsConnection;
  readonly host: ControlledHost;
  readonly logger: Logger;
  /** heartbeatSeconds is the heartbeat period (default 5). */
  readonly heartbeatSeconds?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly podName?: string | undefined;
  /** maxWorkloads is the capacity announced in heartbeats (default 100); starts beyond it are refused. */
  readonly maxWorkloads?: number;
  /** extraInterfaces are announced beside the plugins' (e.g. `wasi:http/incoming-handler` with an HTTP server). */
  readonly extraInterfaces?: readonly string[];
}

/** CapacityError refuses a start for a new workload on a full host. */
export class CapacityError extends Error {
  override readonly name = 'CapacityError';
  readonly code = 'SKIFF_HOST_FULL';
}

type Reply = { ok: true; [key: string]: unknown } | { ok: false; error: ProtocolErrorBody };

interface InFlight {
  uid: string | undefined;
  generation: number;
  promise: Promise<WorkloadReport>;
}

/** HostControl connects a host to the control protocol. */
export class HostControl {
  readonly #nc: NatsConnection;
  readonly #host: ControlledHost;
  readonly #logger: Logger;
  readonly #identity: HostIdentity;
  readonly #extraInterfaces: readonly string[];
  readonly #subs: Subscription[] = [];
  /** #busy holds the starts and stops in progress (the host orders them per workload id). */
  readonly #busy = new Set<Promise<unknown>>();
  readonly #inflight = new Map<string, InFlight>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: HostControlOptions) {
    this.#nc = options.nc;
    this.#host = options.host;
    this.#logger = options.logger.child({ component: 'control' });
    this.#extraInterfaces = options.extraInterfaces ?? [];
    this.#identity = {
      hostId: options.host.id,
      podName: options.podName,
      labels: { ...(options.labels ?? {}) },
      maxWorkloads: options.maxWorkloads ?? 100,
      intervalSeconds: options.heartbeatSeconds ?? 5,
      startedAt: new Date(),
    };
  }

  /** start subscribes to the host's subjects and sends the first heartbeat at once. */
  async start(): Promise<void> {
    const id = this.#host.id;
    this.#subs.push(this.#nc.subscribe(hostWorkloadSubjects(id), { callback: (_e, m) => void this.#onRequest(m) }));
    this.#subs.push(
      this.#nc.subscribe(HOSTS_PING, {
        callback: (_e, m) => {
          m.respond(encode(this.heartbeat()));
        },
      }),
    );
    await this.#nc.flush();
    this.#beat();
    this.#timer = setInterval(() => this.#beat(), this.#identity.intervalSeconds * 1000);
    this.#timer.unref();
    this.#logger.info({ subjects: hostWorkloadSubjects(id) }, 'control protocol ready');
  }

  /** stop stops answering, waits for requests in progress and sends a last `stopping` heartbeat. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    for (const s of this.#subs.splice(0)) s.unsubscribe();
    await Promise.allSettled([...this.#busy]);
    if (!this.#nc.isClosed()) {
      this.#nc.publish(heartbeatSubject(this.#host.id), encode(this.heartbeat({ stopping: true })));
      await this.#nc.flush().catch(() => undefined);
    }
  }

  /** heartbeat is the host's current heartbeat. */
  heartbeat(options: { stopping?: boolean } = {}) {
    return buildHeartbeat(
      this.#identity,
      [...this.#host.interfaces, ...this.#extraInterfaces],
      this.#host.list(),
      options,
    );
  }

  #beat(): void {
    if (this.#nc.isClosed()) return;
    try {
      this.#nc.publish(heartbeatSubject(this.#host.id), encode(this.heartbeat()));
    } catch (err) {
      this.#logger.warn({ err: (err as Error).message }, 'heartbeat not sent');
    }
  }

  async #onRequest(msg: Msg): Promise<void> {
    const verb = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
    let reply: Reply;
    try {
      reply = await this.#handle(verb, msg.data);
    } catch (err) {
      const e = err as Error & { code?: unknown };
      const code = typeof e.code === 'string' ? e.code : 'SKIFF_INTERNAL';
      if (!(err instanceof BadMessageError)) this.#logger.warn({ verb, code, err: e.message }, 'request failed');
      reply = { ok: false, error: { code, message: e.message } };
    }
    if (msg.reply) msg.respond(encode(reply));
  }

  async #handle(verb: string, data: Uint8Array): Promise<Reply> {
    switch (verb) {
      case 'start': {
        const request = decode(startRequestSchema, data, 'start request');
        return { ok: true, workload: await this.#start(request) };
      }
      case 'stop': {
        const { id } = decode(stopRequestSchema, data, 'stop request');
        await this.#track(this.#host.workloadStop(id));
        return { ok: true, id };
      }
      case 'status': {
        const { id } = decode(statusRequestSchema, data, 'status request');
        const statuses = id === undefined ? this.#host.list() : [this.#host.workloadStatus(id)];
        return { ok: true, hostId: this.#host.id, workloads: statuses.map(toReport) };
      }
      default:
        throw new BadMessageError(`unknown request "${verb}"`);
    }
  }

  #start(request: StartRequest): Promise<WorkloadReport> {
    const { workload } = request;
    const id = `${workload.metadata.namespace ?? 'default'}/${workload.metadata.name}`;
    const uid = workload.metadata.uid;
    const generation = workload.metadata.generation ?? 1;
    const pending = this.#inflight.get(id);
    // The same start arriving twice (a retry) joins the one in progress instead of starting twice.
    if (pending && uid !== undefined && pending.uid === uid && pending.generation === generation) {
      return pending.promise;
    }
    // Count starts still in flight too: concurrent starts must not overfill the host. Failed
    // workloads run nothing and do not count.
    const held = this.#host.list().filter((s) => s.state !== 'Failed');
    const ids = new Set([...held.map((s) => s.id), ...this.#inflight.keys()]);
    if (!ids.has(id) && ids.size >= this.#identity.maxWorkloads) {
      throw new CapacityError(`host ${this.#host.id} is full (${this.#identity.maxWorkloads} workloads)`);
    }
    const options = request.baseDir === undefined ? {} : { baseDir: request.baseDir };
    const promise = this.#track(this.#host.workloadStart(workload, options).then(toReport));
    const entry: InFlight = { uid, generation, promise };
    this.#inflight.set(id, entry);
    const clear = () => {
      if (this.#inflight.get(id) === entry) this.#inflight.delete(id);
    };
    promise.then(clear, clear);
    return promise;
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#busy.add(promise);
    const done = () => this.#busy.delete(promise);
    promise.then(done, done);
    return promise;
  }
}
