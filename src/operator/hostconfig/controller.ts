/**
 * HostConfigController executes `planHostConfig`: creates host pods, marks pods draining and
 * cordons their hosts, deletes drained pods (uid precondition), and writes HostConfig status.
 */
import { type HostConfig, type HostConfigStatus, hostConfigSpecSchema } from '../../api/index.js';
import type { ControlClient } from '../../nats/index.js';
import type { Logger } from '../../telemetry/logger.js';
import { setConditions } from '../conditions.js';
import type { HostRegistry } from '../hosts/registry.js';
import { sameJson } from '../json.js';
import {
  type EventRecorder,
  HOSTCONFIGS,
  type Informer,
  isKubeError,
  type Kube,
  type KubeError,
  type KubeObject,
  PODS,
  type ReconcileResult,
  SECRETS,
} from '../kube/index.js';
import type { OperatorAccounts } from '../nats-accounts.js';
import {
  accountModeConflicts,
  accountSecret,
  accountSecretName,
  inAccountMode,
  markAccountMode,
  podName,
} from './nats-account.js';
import { type HostView, planHostConfig } from './plan.js';
import { DRAIN_ANNOTATION, HOSTCONFIG_LABEL, hostPod, type PodDefaults, podTemplate, templateHash } from './pod.js';

/** HostConfigControllerOptions are the controller's collaborators. */
export interface HostConfigControllerOptions {
  readonly kube: Kube;
  readonly hostConfigs: Informer;
  readonly pods: Informer;
  readonly registry: HostRegistry;
  readonly control: ControlClient;
  readonly events: EventRecorder;
  readonly logger: Logger;
  readonly defaults: PodDefaults;
  readonly now?: () => number;
  /** accounts, in NATS account mode (ADR 0022), sign each host pod's control credentials. */
  readonly accounts?: OperatorAccounts | undefined;
}

/** HostConfigController reconciles HostConfigs into host pods. */
export class HostConfigController {
  readonly #o: HostConfigControllerOptions;
  readonly #now: () => number;

  constructor(options: HostConfigControllerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** hostOf says what the registry knows about the host running in `pod`. */
  hostOf(pod: KubeObject): HostView {
    const live = this.#o.registry.get(pod.metadata.name);
    if (!live || (live.heartbeat.pod?.uid !== undefined && live.heartbeat.pod.uid !== pod.metadata.uid)) {
      return { live: false, cordoned: false, workloads: 0 };
    }
    const workloads = [...live.reports.values()].filter((r) => r.state !== 'Failed').length;
    return { live: true, cordoned: live.heartbeat.cordoned ?? false, workloads };
  }

  /** #createFailed reports a refused pod create as a Warning Event and Ready=False with reason PodCreateFailed. */
  async #createFailed(obj: KubeObject, status: HostConfigStatus, err: KubeError, log: Logger): Promise<void> {
    log.warn({ err: err.message, code: err.code }, 'host pod create refused');
    await this.#refused(
      obj,
      status,
      'PodCreateFailed',
      'FailedCreate',
      `creating a host pod failed: ${err.message}`,
      log,
    );
  }

  /** #refused writes Ready=False with `reason` and `message` beside the rest of `status`, and a Warning Event. */
  async #refused(
    obj: KubeObject,
    status: HostConfigStatus,
    reason: string,
    event: string,
    message: string,
    log: Logger,
  ): Promise<void> {
    this.#o.events.record(obj, 'Warning', event, message, 'Create');
    const observedGeneration = obj.metadata.generation ?? 1;
    const ready = { type: 'Ready', status: 'False', reason, message, observedGeneration } as const;
    const conditions = setConditions(status.conditions, [ready], new Date(this.#now()));
    await this.#o.kube
      .applyStatus(HOSTCONFIGS, obj.metadata.namespace!, obj.metadata.name, { ...status, conditions })
      .catch((e: Error) => log.warn({ err: e.message }, 'HostConfig status not written'));
  }

  /** reconcile brings one HostConfig's pods closer to its spec. */
  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const obj = this.#o.hostConfigs.get(key);
    if (!obj || obj.metadata.deletionTimestamp) return undefined; // owned pods go with it (garbage collector)
    const spec = hostConfigSpecSchema.safeParse(obj.spec);
    if (!spec.success) {
      this.#o.logger.warn({ hostconfig: key, err: spec.error.message }, 'invalid HostConfig spec');
      return undefined;
    }
    const hc = { ...obj, spec: spec.data } as unknown as HostConfig;
    const namespace = obj.metadata.namespace!;
    const conflicts = this.#o.accounts ? accountModeConflicts(hc.spec) : [];
    if (conflicts.length > 0) {
      // Such pods would exit at start: leave the running ones alone and say why.
      const message = `NATS account mode serves every capability from its namespace's account; remove ${conflicts.join(', ')}`;
      const status = (obj.status ?? {}) as HostConfigStatus;
      const current = status.conditions?.find((c) => c.type === 'Ready');
      if (current?.reason !== 'UnsupportedInAccountMode' || current.message !== message) {
        const log = this.#o.logger.child({ hostconfig: key });
        await this.#refused(obj, status, 'UnsupportedInAccountMode', 'UnsupportedInAccountMode', message, log);
      }
      return undefined;
    }
    const secretKeys = await this.#secretKeys(namespace, hc.spec.nats?.credentialsSecret);
    const base = podTemplate(hc, this.#o.defaults, secretKeys);
    // Account mode is part of the template: switching it on or off replaces the host pods.
    const template = this.#o.accounts ? markAccountMode(base) : base;
    const hash = templateHash(template);
    const pods = this.#o.pods
      .list()
      .filter(
        (p) =>
          p.metadata.namespace === namespace &&
          p.metadata.labels?.[HOSTCONFIG_LABEL] === obj.metadata.name &&
          p.metadata.ownerReferences?.some((r) => r.uid === obj.metadata.uid),
      );
    const plan = planHostConfig({ hc, hash, pods, hostOf: (p) => this.hostOf(p), now: this.#now() });
    const log = this.#o.logger.child({ hostconfig: key });
    for (const a of plan.actions) {
      switch (a.type) {
        case 'create':
          for (let i = 0; i < a.count; i++) {
            const pod = await this.#createPod(hc, hostPod(hc, template, hash)).catch(async (err: unknown) => {
              // Refused (a quota, a missing ServiceAccount, an admission policy): say so where
              // `kubectl describe` and GitOps tools look, then retry with backoff.
              if (isKubeError(err)) await this.#createFailed(obj, plan.status, err, log);
              throw err;
            });
            log.info({ pod: pod.metadata.name, hash }, 'host pod created');
            this.#o.events.record(obj, 'Normal', 'PodCreated', `created host pod ${pod.metadata.name}`, 'Create');
          }
          break;
        case 'drain':
          await this.#o.kube.patch(PODS, namespace, a.pod, {
            metadata: { annotations: { [DRAIN_ANNOTATION]: new Date(this.#now()).toISOString() } },
          });
          await this.#cordon(a.pod, log);
          log.info({ pod: a.pod }, 'draining host pod');
          this.#o.events.record(obj, 'Normal', 'Draining', `draining host pod ${a.pod}`, 'Drain');
          break;
        case 'cordon':
          await this.#cordon(a.pod, log);
          break;
        case 'delete':
          await this.#o.kube.delete(PODS, namespace, a.pod, { preconditionUid: a.uid });
          if (this.#o.accounts) await this.#o.kube.delete(SECRETS, namespace, accountSecretName(a.pod));
          log.info({ pod: a.pod, why: a.why }, 'host pod deleted');
          this.#o.events.record(obj, 'Normal', 'PodDeleted', `deleted host pod ${a.pod}: ${a.why}`, 'Delete');
          break;
      }
    }
    if (!sameJson(obj.status, plan.status)) {
      await this.#o.kube.applyStatus(HOSTCONFIGS, namespace, obj.metadata.name, plan.status);
    }
    // Hosts heartbeat every second: look again soon while anything is in motion.
    const settled =
      plan.actions.length === 0 && plan.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    return settled ? undefined : { requeueAfterMs: 1_000 };
  }

  /** #createPod creates a host pod; in account mode it names it and creates its control credentials first. */
  async #createPod(hc: HostConfig, pod: KubeObject): Promise<KubeObject> {
    const accounts = this.#o.accounts;
    if (!accounts) return this.#o.kube.create(PODS, pod);
    const name = podName(pod);
    await this.#o.kube.create(SECRETS, accountSecret(hc, name, await accounts.hostControlCreds(name)));
    return this.#o.kube.create(PODS, inAccountMode(pod, name));
  }

  async #cordon(pod: string, log: Logger): Promise<void> {
    await this.#o.control.cordon(pod, true).catch((err: Error) => {
      log.warn({ pod, err: err.message }, 'cordon failed; will retry');
    });
  }

  async #secretKeys(namespace: string, name: string | undefined): Promise<ReadonlySet<string>> {
    if (!name) return new Set();
    const secret = await this.#o.kube.get(SECRETS, namespace, name);
    const data = (secret as { data?: Record<string, string> } | undefined)?.data ?? {};
    return new Set(Object.keys(data));
  }
}
