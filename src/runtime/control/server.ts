/**
 * HostControl answers the control protocol for one host: start / stop / status requests on
 * `skiff.host.<id>.workload.*`, cordon / uncordon on `skiff.host.<id>.admin.*`, pings on
 * `skiff.hosts.ping`, and a heartbeat every N seconds. Every request is parsed with zod
 * first; a bad one gets an error reply and changes nothing.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  cordonRequestSchema,
  credentialsRequestSchema,
  type Heartbeat,
  type PodIdentity,
  type ProtocolErrorBody,
  type StartRequest,
  startRequestSchema,
  statusRequestSchema,
  stopRequestSchema,
  virtualHostsOf,
  type WorkloadReport,
  workloadIdOf,
} from '../../api/index.js';
import type { NamespaceConnections } from '../../nats/accounts/namespaces.js';
import { BadMessageError, decode, encode } from '../../nats/codec.js';
import { HOSTS_PING, heartbeatSubject, hostAdminSubjects, hostWorkloadSubjects } from '../../nats/subjects.js';
import type { Logger } from '../../telemetry/logger.js';
import type { HostApi, WorkloadStatus } from '../host.js';
import type { HostPlugin } from '../plugin.js';
import { type Incarnation, RouteClaims } from './claims.js';
import { announcedInterfaces, buildHeartbeat, type HostIdentity, toReport } from './heartbeat.js';
import { pullCredentialsByComponent, receiveSources } from './sources.js';

/** ControlledHost is what HostControl drives: the HostApi plus the host's id and plugins. */
export interface ControlledHost extends HostApi {
  readonly id: string;
  readonly plugins: readonly HostPlugin[];
  /** threads reports the host's workload threads, services' included (announced in heartbeats). */
  threads?(): { readonly services: number; readonly maxServices: number };
}

/** HostControlOptions configure the protocol side of a host. */
export interface HostControlOptions {
  readonly nc: NatsConnection;
  readonly host: ControlledHost;
  readonly logger: Logger;
  /** heartbeatSeconds is the heartbeat period (default 1). */
  readonly heartbeatSeconds?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly podName?: string | undefined;
  /** pod is the Kubernetes pod the host runs in (downward API), announced in heartbeats. */
  readonly pod?: PodIdentity | undefined;
  /** httpPort is the port of the host's HTTP server, announced in heartbeats. */
  readonly httpPort?: number | undefined;
  /** maxWorkloads is the capacity announced in heartbeats (default 100); starts beyond it are refused. */
  readonly maxWorkloads?: number;
  /** extraInterfaces are announced beside the plugins' (e.g. `wasi:http/incoming-handler@0.2.0` with an HTTP server). */
  readonly extraInterfaces?: readonly string[];
  /** cordoned starts the host cordoned (default false). */
  readonly cordoned?: boolean;
  /** namespaces are the only namespaces whose workloads the host runs (default: every namespace). */
  readonly namespaces?: readonly string[] | undefined;
  /**
   * accounts, in account mode (ADR 0022), hold the host's user key (announced in heartbeats),
   * take the namespace JWTs starts bring, and give the namespace connection sealed sources
   * are fetched with. Without it the host uses `nc` for everything.
   */
  readonly accounts?: NamespaceConnections | undefined;
}

/** CapacityError refuses a start for a new workload on a full host. */
export class CapacityError extends Error {
  override readonly name = 'CapacityError';
  readonly code = 'SKIFF_HOST_FULL';
}

/** NamespaceNotServedError refuses a start of a workload of a namespace the host does not serve. */
export class NamespaceNotServedError extends Error {
  override readonly name = 'NamespaceNotServedError';
  readonly code = 'SKIFF_NAMESPACE_NOT_SERVED';
}

/** CordonedError refuses a start for a workload a cordoned host does not run yet. */
export class CordonedError extends Error {
  override readonly name = 'CordonedError';
  readonly code = 'SKIFF_HOST_CORDONED';
}

type Reply = { ok: true; [key: string]: unknown } | { ok: false; error: ProtocolErrorBody };

interface InFlight {
  uid: string | undefined;
  generation: number;
  revision: string | undefined;
  promise: Promise<WorkloadReport>;
  /** joinable is false once a stop for the id arrived: a later identical start must run after that stop. */
  joinable: boolean;
}

/** HostControl connects a host to the control protocol. */
export class HostControl {
  readonly #nc: NatsConnection;
  readonly #host: ControlledHost;
  readonly #logger: Logger;
  readonly #identity: HostIdentity;
  readonly #interfaces: readonly string[];
  readonly #subs: Subscription[] = [];
  /** #busy holds the starts and stops in progress (the host orders them per workload id). */
  readonly #busy = new Set<Promise<unknown>>();
  readonly #inflight = new Map<string, InFlight>();
  readonly #claims = new RouteClaims();
  readonly #accounts: NamespaceConnections | undefined;
  #cordoned: boolean;
  /** #closing ends drains in progress when the host shuts down. */
  readonly #closing = new AbortController();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: HostControlOptions) {
    this.#nc = options.nc;
    this.#host = options.host;
    this.#logger = options.logger.child({ component: 'control' });
    this.#interfaces = announcedInterfaces(options.host.plugins, options.extraInterfaces ?? []);
    this.#cordoned = options.cordoned ?? false;
    this.#accounts = options.accounts;
    this.#identity = {
      hostId: options.host.id,
      podName: options.podName,
      pod: options.pod,
      httpPort: options.httpPort,
      labels: { ...(options.labels ?? {}) },
      maxWorkloads: options.maxWorkloads ?? 100,
      namespaces: options.namespaces ? [...new Set(options.namespaces)].sort() : undefined,
      natsUser: options.accounts?.credentials.userKey,
      intervalSeconds: options.heartbeatSeconds ?? 1,
      startedAt: new Date(),
    };
  }

  /** cordoned says whether the host refuses starts of workloads it does not run yet. */
  get cordoned(): boolean {
    return this.#cordoned;
  }

  /** start subscribes to the host's subjects and sends the first heartbeat at once. */
  async start(): Promise<void> {
    const id = this.#host.id;
    for (const subject of [hostWorkloadSubjects(id), hostAdminSubjects(id)]) {
      this.#subs.push(this.#nc.subscribe(subject, { callback: (_e, m) => void this.#onRequest(m) }));
    }
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
    this.#logger.info({ subjects: [hostWorkloadSubjects(id), hostAdminSubjects(id)] }, 'control protocol ready');
  }

  /** stop stops answering, ends drains early, waits for requests in progress and sends a last `stopping` heartbeat. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#closing.abort();
    for (const s of this.#subs.splice(0)) s.unsubscribe();
    await Promise.allSettled([...this.#busy]);
    if (!this.#nc.isClosed()) {
      this.#nc.publish(heartbeatSubject(this.#host.id), encode(this.heartbeat({ stopping: true })));
      await this.#nc.flush().catch(() => undefined);
    }
  }

  /** heartbeat is the host's current heartbeat. */
  heartbeat(options: { stopping?: boolean } = {}): Heartbeat {
    const statuses = this.#host.list();
    const live: Incarnation[] = [...statuses];
    for (const [id, f] of this.#inflight)
      if (f.uid !== undefined) live.push({ id, uid: f.uid, generation: f.generation });
    this.#claims.retain(live);
    return buildHeartbeat(this.#identity, {
      interfaces: this.#interfaces,
      workloads: statuses.map((s) => this.#report(s)),
      cordoned: this.#cordoned,
      stopping: options.stopping,
      services: this.#host.threads?.(),
    });
  }

  #report(status: WorkloadStatus): WorkloadReport {
    return toReport(status, this.#claims.hostsOf(status));
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
    // skiff.host.<id>.<kind>.<verb>
    const [kind, verb] = msg.subject.split('.').slice(-2) as [string, string];
    let reply: Reply;
    try {
      reply = await this.#handle(`${kind}.${verb}`, msg.data);
    } catch (err) {
      const e = err as Error & { code?: unknown };
      const code = typeof e.code === 'string' ? e.code : 'SKIFF_INTERNAL';
      if (!(err instanceof BadMessageError)) this.#logger.warn({ verb, code, err: e.message }, 'request failed');
      reply = { ok: false, error: { code, message: e.message } };
    }
    if (msg.reply) msg.respond(encode(reply));
  }

  async #handle(request: string, data: Uint8Array): Promise<Reply> {
    switch (request) {
      case 'workload.start': {
        const body = decode(startRequestSchema, data, 'start request');
        return { ok: true, workload: await this.#start(body) };
      }
      case 'workload.stop': {
        const { id, uid, drainMs } = decode(stopRequestSchema, data, 'stop request');
        return await this.#stop(id, uid, drainMs);
      }
      case 'workload.status': {
        const { id } = decode(statusRequestSchema, data, 'status request');
        const statuses = id === undefined ? this.#host.list() : [this.#host.workloadStatus(id)];
        return { ok: true, hostId: this.#host.id, workloads: statuses.map((s) => this.#report(s)) };
      }
      case 'admin.cordon':
      case 'admin.uncordon': {
        decode(cordonRequestSchema, data, `${request.slice(6)} request`);
        const cordoned = request === 'admin.cordon';
        if (cordoned !== this.#cordoned) {
          this.#cordoned = cordoned;
          this.#logger.info({ cordoned }, cordoned ? 'host cordoned' : 'host uncordoned');
          this.#beat(); // tell consumers at once
        }
        return { ok: true, hostId: this.#host.id, cordoned };
      }
      case 'admin.credentials': {
        const { namespace, jwt } = decode(credentialsRequestSchema, data, 'credentials request');
        if (!this.#accounts) throw new BadMessageError('this host does not use NATS accounts (--nats-accounts)');
        this.#accounts.credentials.accept(namespace, jwt);
        return { ok: true, hostId: this.#host.id, namespace };
      }
      default:
        throw new BadMessageError(`unknown request "${request.slice(request.indexOf('.') + 1)}"`);
    }
  }

  #start(request: StartRequest): Promise<WorkloadReport> {
    const { workload } = request;
    const id = workloadIdOf(workload);
    const uid = workload.metadata.uid;
    const generation = workload.metadata.generation ?? 1;
    const { revision } = request;
    const pending = this.#inflight.get(id);
    // The same start arriving twice (a retry) joins the one in progress instead of starting twice.
    if (
      pending?.joinable &&
      uid !== undefined &&
      pending.uid === uid &&
      pending.generation === generation &&
      pending.revision === revision
    ) {
      return pending.promise;
    }
    const served = this.#identity.namespaces;
    const namespace = workload.metadata.namespace ?? 'default';
    if (served && !served.includes(namespace)) {
      return Promise.reject(
        new NamespaceNotServedError(
          `host ${this.#host.id} does not serve namespace ${namespace} (it serves ${served.join(', ')})`,
        ),
      );
    }
    const accounts = this.#accounts;
    if (accounts) {
      try {
        if (request.natsCredentials) accounts.credentials.accept(namespace, request.natsCredentials.jwt);
        accounts.credentials.require(namespace);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    // Count starts still in flight too: concurrent starts must not overfill the host. Failed
    // workloads run nothing and do not count; a cordoned host refuses their retry too.
    const held = this.#host.list().filter((s) => s.state !== 'Failed');
    const ids = new Set([...held.map((s) => s.id), ...this.#inflight.keys()]);
    if (!ids.has(id) && this.#cordoned) {
      return Promise.reject(new CordonedError(`host ${this.#host.id} is cordoned: it takes no new workloads`));
    }
    if (!ids.has(id) && ids.size >= this.#identity.maxWorkloads) {
      return Promise.reject(
        new CapacityError(`host ${this.#host.id} is full (${this.#identity.maxWorkloads} workloads)`),
      );
    }
    const hosts = virtualHostsOf(workload);
    if (uid !== undefined) this.#claims.record({ id, uid, generation }, hosts);
    const options = {
      ...(request.baseDir === undefined ? {} : { baseDir: request.baseDir }),
      revision,
      // Fetched when the start's turn comes, so starts and stops of the id keep their order.
      sources: () =>
        accounts && request.sources
          ? accounts.withConnection(namespace, (nc) => receiveSources(nc, request.sources))
          : receiveSources(this.#nc, request.sources),
      pullCredentials: pullCredentialsByComponent(request.pullCredentials),
    };
    const promise = this.#track(
      this.#host.workloadStart(workload, options).then((status) => {
        this.#claims.record(status, hosts);
        return this.#report(status);
      }),
    );
    const entry: InFlight = { uid, generation, revision, promise, joinable: true };
    this.#inflight.set(id, entry);
    const clear = () => {
      if (this.#inflight.get(id) === entry) this.#inflight.delete(id);
    };
    promise.then(clear, clear);
    return promise;
  }

  async #stop(id: string, uid: string | undefined, drainMs: number | undefined): Promise<Reply> {
    // The host runs this stop after any start of the id that arrived before it.
    const pending = this.#inflight.get(id);
    if (pending) pending.joinable = false;
    try {
      await this.#track(this.#host.workloadStop(id, { uid, drainMs, signal: this.#closing.signal }));
    } catch (err) {
      // Stopping what is not there is done already: stops are idempotent.
      if ((err as { code?: unknown }).code === 'SKIFF_WORKLOAD_NOT_FOUND') return { ok: true, id, absent: true };
      throw err;
    }
    return { ok: true, id };
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#busy.add(promise);
    const done = () => this.#busy.delete(promise);
    promise.then(done, done);
    return promise;
  }
}
