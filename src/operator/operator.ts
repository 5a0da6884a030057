/**
 * Operator wires the pieces together: a Workload informer and the hosts' heartbeats feed one
 * keyed work queue; only the leader (a Lease) runs the queue, so only the leader writes and
 * sends control requests. Followers keep their caches and registry warm for a fast takeover.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { heartbeatSchema } from '../api/index.js';
import { ControlClient, decode, HEARTBEATS } from '../nats/index.js';
import type { Logger } from '../telemetry/logger.js';
import { createOperatorMetrics, type OperatorMetrics } from '../telemetry/operator-metrics.js';
import { HealthServer, type Readiness } from './health.js';
import type { OperatorAccounts } from './nats-accounts.js';
import { HostConfigController } from './hostconfig/controller.js';
import { DRAIN_ANNOTATION, HOSTCONFIG_LABEL } from './hostconfig/pod.js';
import { HostPods, podLost } from './hostconfig/pods.js';
import { HostObjects } from './hosts/objects.js';
import { HostRegistry, type RegistryChange } from './hosts/registry.js';
import {
  EventRecorder,
  HOSTCONFIGS,
  Informer,
  type Kube,
  LeaderElector,
  PODS,
  WORKLOADS,
  WorkQueue,
} from './kube/index.js';
import type { OperatorConfig } from './settings.js';
import { WorkloadController } from './workload/controller.js';
import { ReferenceWatcher } from './workload/reference-watcher.js';

export { DEFAULT_OPERATOR_CONFIG, type OperatorConfig } from './settings.js';

const HOST_KEY = 'host:';
const HC_KEY = 'hc:';

/** Operator reconciles Workloads onto hosts. */
export class Operator {
  readonly #config: OperatorConfig;
  readonly #nc: NatsConnection;
  readonly #logger: Logger;
  readonly metrics: OperatorMetrics;
  readonly registry: HostRegistry;
  readonly #informer: Informer;
  readonly #hostConfigInformer: Informer;
  readonly #podInformer: Informer;
  readonly #hostConfigs: HostConfigController;
  readonly #hostPods: HostPods;
  readonly #queue: WorkQueue;
  readonly #leader: LeaderElector;
  readonly #workloads: WorkloadController;
  /** #references follows the ConfigMaps and Secrets Workloads name (metadata only). */
  readonly #references: ReferenceWatcher;
  readonly #hostObjects: HostObjects;
  readonly #health: HealthServer;
  readonly #control: ControlClient;
  #sub: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #leading = false;
  readonly #accounts: OperatorAccounts | undefined;
  #ticks = 0;
  #stopped = false;
  #collected = false;
  readonly #lost: Promise<void>;
  #resolveLost: () => void = () => undefined;

  constructor(
    config: OperatorConfig,
    deps: {
      kube: Kube;
      nc: NatsConnection;
      logger: Logger;
      metrics?: OperatorMetrics;
      /** accounts turn on NATS account mode (ADR 0022): an account per namespace, JWTs in starts. */
      accounts?: OperatorAccounts | undefined;
    },
  ) {
    this.#config = config;
    this.#nc = deps.nc;
    this.#accounts = deps.accounts;
    this.#logger = deps.logger;
    this.metrics = deps.metrics ?? createOperatorMetrics();
    this.registry = new HostRegistry({ missedHeartbeats: config.missedHeartbeats });
    this.#lost = new Promise((resolve) => {
      this.#resolveLost = resolve;
    });
    const namespaces = config.namespaces.length > 0 ? [...config.namespaces] : undefined;
    this.#informer = new Informer({
      kube: deps.kube,
      resource: WORKLOADS,
      ...(namespaces ? { namespaces } : {}),
      logger: deps.logger.child({ informer: 'workloads' }),
      onChange: (key) => this.#queue.add(key),
    });
    this.#hostConfigInformer = new Informer({
      kube: deps.kube,
      resource: HOSTCONFIGS,
      ...(namespaces ? { namespaces } : {}),
      logger: deps.logger.child({ informer: 'hostconfigs' }),
      onChange: (key) => this.#queue.add(HC_KEY + key),
    });
    this.#podInformer = new Informer({
      kube: deps.kube,
      resource: PODS,
      ...(namespaces ? { namespaces } : {}),
      labelSelector: HOSTCONFIG_LABEL,
      logger: deps.logger.child({ informer: 'pods' }),
      onChange: (key) => this.#onPod(key),
    });
    this.#hostPods = new HostPods(this.#podInformer);
    this.#queue = new WorkQueue({
      resyncMs: config.resyncMs,
      resyncKeys: () => this.#allKeys(),
      logger: deps.logger.child({ component: 'queue' }),
    });
    this.#control = new ControlClient(deps.nc);
    this.#references = new ReferenceWatcher({
      kube: deps.kube,
      namespaces,
      logger: deps.logger,
      workloads: this.#informer,
      enqueue: (key) => this.#queue.add(key),
      watchSecrets: config.watchSecrets,
    });
    const events = new EventRecorder({
      kube: deps.kube,
      controller: 'skiff-operator',
      instance: config.identity,
      logger: deps.logger,
    });
    this.#workloads = new WorkloadController({
      kube: deps.kube,
      informer: this.#informer,
      registry: this.registry,
      control: this.#control,
      events,
      logger: deps.logger,
      metrics: this.metrics,
      enqueue: (key) => this.#queue.add(key),
      canSweep: () => this.#informer.synced && this.registry.healthy(),
      draining: () => this.#hostPods.draining(),
      references: this.#references,
      nc: deps.nc,
      accounts: deps.accounts,
    });
    this.#hostConfigs = new HostConfigController({
      kube: deps.kube,
      hostConfigs: this.#hostConfigInformer,
      pods: this.#podInformer,
      registry: this.registry,
      control: this.#control,
      events,
      logger: deps.logger,
      defaults: {
        image: config.hostImage,
        natsUrl: config.natsUrl,
        serviceAccountName: config.hostServiceAccount,
        imagePullPolicy: config.hostImagePullPolicy,
      },
      accounts: deps.accounts,
    });
    this.#hostObjects = new HostObjects({
      kube: deps.kube,
      registry: this.registry,
      logger: deps.logger,
      namespace: config.hostNamespace,
    });
    this.#leader = new LeaderElector({
      kube: deps.kube,
      namespace: config.leaseNamespace,
      name: config.leaseName,
      identity: config.identity,
      leaseDurationMs: config.leaseDurationMs,
      renewDeadlineMs: config.renewDeadlineMs,
      retryPeriodMs: config.retryPeriodMs,
      logger: deps.logger.child({ component: 'leader' }),
      onStartedLeading: () => this.#startLeading(),
      onStoppedLeading: () => this.#stopLeading(),
    });
    this.#health = new HealthServer({
      healthPort: config.healthPort,
      metricsPort: config.metricsPort,
      bind: config.bind,
      registry: this.metrics.registry,
      readiness: () => this.readiness(),
    });
  }

  /** lost resolves when this operator stops leading after having led: the process should exit. */
  get lost(): Promise<void> {
    return this.#lost;
  }

  /** isLeader tells whether this operator leads now. */
  get isLeader(): boolean {
    return this.#leading;
  }

  /** ports are the bound health and metrics ports. */
  ports(): { health: number; metrics: number } {
    return this.#health.ports();
  }

  /** readiness: caches synced, and for the leader, NATS connected. */
  readiness(): Readiness {
    if (!this.#informer.synced || !this.#hostConfigInformer.synced || !this.#podInformer.synced) {
      return { ready: false, detail: 'caches not synced' };
    }
    if (this.#leading && !this.registry.isConnected) return { ready: false, detail: 'leader without NATS' };
    return { ready: true, detail: this.#leading ? 'leading' : 'standby' };
  }

  /** start begins watching and campaigning for the Lease. */
  async start(): Promise<void> {
    await this.#health.start();
    this.registry.connected();
    this.#sub = this.#nc.subscribe(HEARTBEATS, { callback: (_e, msg) => this.#onHeartbeat(msg.data) });
    void this.#watchConnection();
    for (const hb of await this.#control.ping(500).catch(() => [])) this.#apply(this.registry.observeHeartbeat(hb));
    this.#informer.start();
    this.#hostConfigInformer.start();
    this.#podInformer.start();
    this.#references.start();
    this.#timer = setInterval(() => this.#tick(), 250);
    this.#timer.unref();
    this.#leader.start();
    this.#logger.info({ identity: this.#config.identity, namespaces: this.#config.namespaces }, 'operator started');
  }

  /** stop steps down (releasing the Lease) and stops everything; nothing on hosts is touched. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#sub?.unsubscribe();
    await this.#queue.stop();
    await this.#leader.stop();
    await this.#informer.stop();
    await this.#hostConfigInformer.stop();
    await this.#podInformer.stop();
    await this.#references.stop();
    await this.#health.stop();
    this.metrics.leader.set(0);
  }

  /** #refreshCredentials hands hosts newer namespace JWTs before theirs expire (ADR 0022). */
  #refreshCredentials(accounts: OperatorAccounts): void {
    const hosts = this.registry.hosts().map((h) => ({
      hostId: h.heartbeat.hostId,
      natsUser: h.heartbeat.natsUser,
      namespaces: [...h.reports.keys()].map((id) => id.slice(0, id.indexOf('/'))),
    }));
    void accounts.refresh(hosts, (hostId, namespace, jwt) => this.#control.credentials(hostId, namespace, jwt));
  }

  #startLeading(): void {
    this.#leading = true;
    this.metrics.leader.set(1);
    this.#logger.info('leading');
    this.#queue.run((key) => this.#reconcile(key), 2);
    for (const key of this.#allKeys()) this.#queue.add(key);
  }

  #stopLeading(): void {
    const was = this.#leading;
    this.#leading = false;
    this.metrics.leader.set(0);
    if (was) {
      this.#logger.warn('lost the Lease');
      void this.#queue.stop();
      this.#resolveLost();
    }
  }

  async #reconcile(key: string) {
    const kind = key.startsWith(HOST_KEY) ? 'Host' : key.startsWith(HC_KEY) ? 'HostConfig' : 'Workload';
    const end = this.metrics.reconcileDuration.startTimer({ kind });
    try {
      const result =
        kind === 'Host'
          ? await this.#hostObjects
              .reconcile(key.slice(HOST_KEY.length))
              .then((ms) => (ms === undefined ? undefined : { requeueAfterMs: ms }))
          : kind === 'HostConfig'
            ? await this.#hostConfigs.reconcile(key.slice(HC_KEY.length))
            : await this.#workloads.reconcile(key);
      this.metrics.reconciles.inc({ kind, result: result ? 'requeue' : 'ok' });
      return result;
    } catch (err) {
      this.metrics.reconciles.inc({ kind, result: 'error' });
      this.#logger.warn({ key, err: (err as Error).message }, 'reconcile failed');
      throw err;
    } finally {
      end();
      this.metrics.queueDepth.set(this.#queue.depth);
    }
  }

  #onHeartbeat(data: Uint8Array): void {
    let hb: ReturnType<typeof heartbeatSchema.parse>;
    try {
      hb = decode(heartbeatSchema, data, 'heartbeat');
    } catch {
      return; // a bad heartbeat is dropped
    }
    if (hb.pod && this.#hostPods.isDead(hb.pod.namespace, hb.pod.name, hb.pod.uid)) return;
    this.#apply(this.registry.observeHeartbeat(hb));
  }

  /** #onPod: a host pod changed; a deleted, terminating or failed one loses its host at once. */
  #onPod(key: string): void {
    const pod = this.#hostPods.seen(key);
    const namespace = key.slice(0, key.indexOf('/'));
    const name = key.slice(key.indexOf('/') + 1);
    const owner = pod?.metadata.labels?.[HOSTCONFIG_LABEL];
    if (owner) this.#queue.add(`${HC_KEY}${namespace}/${owner}`);
    else for (const k of this.#hostConfigInformer.keys()) this.#queue.add(HC_KEY + k);
    const live = this.registry.get(name);
    if (!live || live.heartbeat.pod?.namespace !== namespace) return;
    if (!pod || podLost(pod)) {
      const change = this.registry.forget(name);
      if (change) {
        this.#logger.warn({ host: name, workloads: change.workloads.length }, 'host pod gone; host lost');
        this.#apply(change);
      }
    } else if (pod.metadata.annotations?.[DRAIN_ANNOTATION] !== undefined) {
      for (const id of live.reports.keys()) if (this.#watched(id)) this.#queue.add(id);
    }
  }

  #apply(change: RegistryChange): void {
    this.#queue.add(HOST_KEY + change.hostId);
    // A host pod's HostConfig waits on its host (ready, drained): look at it again.
    const owner = this.#hostPods.ownerKey(change.hostId);
    if (owner) this.#queue.add(HC_KEY + owner);
    for (const id of change.workloads) if (this.#watched(id)) this.#queue.add(id);
    // A host joining or leaving changes where everything may go.
    if (change.type !== 'updated') for (const key of this.#informer.keys()) this.#queue.add(key);
    this.metrics.liveHosts.set(this.registry.hosts().length);
  }

  #tick(): void {
    if (++this.#ticks % 8 === 0) this.#countConditions();
    if (this.#leading && this.#accounts && this.#ticks % 4 === 0) this.#refreshCredentials(this.#accounts);
    for (const change of this.registry.expire()) {
      this.#logger.warn({ host: change.hostId, workloads: change.workloads.length }, 'host expired');
      this.#apply(change);
    }
    if (this.#leading && !this.#collected && this.#informer.synced && this.registry.healthy()) {
      this.#collected = true;
      this.#hostObjects.collect().catch((err) => {
        this.#collected = false;
        this.#logger.warn({ err: (err as Error).message }, 'Host object collection failed');
      });
      for (const key of this.#allKeys()) this.#queue.add(key); // the orphan sweep may run now
    }
  }

  /** #countConditions sets skiff_operator_workloads from the cached Workloads' conditions. */
  #countConditions(): void {
    const counts = new Map<string, number>();
    for (const w of this.#informer.list()) {
      const conditions =
        (w.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      for (const c of conditions)
        counts.set(`${c.type}\u0000${c.status}`, (counts.get(`${c.type}\u0000${c.status}`) ?? 0) + 1);
    }
    this.metrics.workloadsByCondition.reset();
    for (const [key, n] of counts) {
      const [condition, status] = key.split('\u0000') as [string, string];
      this.metrics.workloadsByCondition.set({ condition, status }, n);
    }
  }

  async #watchConnection(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (s.type === 'disconnect') {
        this.registry.disconnected();
        this.#logger.warn('NATS disconnected: no host expires and nothing is stopped until it is back');
      } else if (s.type === 'reconnect') {
        this.registry.connected();
        this.#logger.info('NATS reconnected');
        for (const key of this.#allKeys()) this.#queue.add(key);
      }
    }
  }

  #watched(id: string): boolean {
    const ns = id.slice(0, id.indexOf('/'));
    return this.#config.namespaces.length === 0 || this.#config.namespaces.includes(ns);
  }

  #allKeys(): string[] {
    const keys = new Set([...this.#informer.keys(), ...this.registry.workloadIds().filter((id) => this.#watched(id))]);
    for (const h of this.registry.hosts()) keys.add(HOST_KEY + h.heartbeat.hostId);
    for (const k of this.#hostConfigInformer.keys()) keys.add(HC_KEY + k);
    return [...keys];
  }
}
