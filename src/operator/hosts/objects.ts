/**
 * HostObjects mirrors the registry into read-only `Host` resources for `kubectl get hosts`:
 * written when something a person would notice changes, and otherwise at most every
 * `refreshMs` (not per heartbeat); deleted when the host leaves or expires.
 *
 * Placement (ADR 0010): a host in a pod gets its Host object in the pod's namespace, with
 * the Pod as owner (garbage-collected with it); a host outside Kubernetes gets one in the
 * operator's namespace.
 */
import { createHash } from 'node:crypto';
import type { Heartbeat, HostResourceStatus } from '../../api/index.js';
import type { Logger } from '../../telemetry/logger.js';
import { setConditions } from '../conditions.js';
import { HOSTS, type Kube, type KubeObject } from '../kube/index.js';
import type { HostRegistry } from './registry.js';

/** HOST_ID_LABEL carries the host id on its Host object (ids may not be valid object names). */
export const HOST_ID_LABEL = 'runtime.skiff.dev/host-id';

/** HostObjectsOptions configure where and how often Host objects are written. */
export interface HostObjectsOptions {
  readonly kube: Kube;
  readonly registry: HostRegistry;
  readonly logger: Logger;
  /** namespace holds Host objects of hosts that run outside a pod. */
  readonly namespace: string;
  /** refreshMs bounds how stale lastHeartbeat may get (default 30 s). */
  readonly refreshMs?: number;
  readonly now?: () => number;
}

interface Written {
  namespace: string;
  name: string;
  material: string;
  at: number;
}

/** HostObjects writes and deletes Host resources. */
export class HostObjects {
  readonly #o: HostObjectsOptions;
  readonly #now: () => number;
  readonly #written = new Map<string, Written>();

  constructor(options: HostObjectsOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** reconcile writes or deletes the Host object of one host id; returns when to look again. */
  async reconcile(hostId: string): Promise<number | undefined> {
    const live = this.#o.registry.get(hostId);
    const known = this.#written.get(hostId);
    if (!live) {
      if (known) {
        await this.#o.kube.delete(HOSTS, known.namespace, known.name);
        this.#written.delete(hostId);
        this.#o.logger.info({ host: hostId }, 'host gone; Host object deleted');
      }
      return undefined;
    }
    const hb: Heartbeat = { ...live.heartbeat, workloads: [...live.reports.values()] };
    const { namespace, name } = placeOf(hb, this.#o.namespace);
    const material = materialOf(hb);
    const refresh = this.#o.refreshMs ?? 30_000;
    const now = this.#now();
    if (known && known.material === material && now - known.at < refresh && known.name === name) {
      return known.at + refresh - now;
    }
    if (known && (known.namespace !== namespace || known.name !== name)) {
      await this.#o.kube.delete(HOSTS, known.namespace, known.name);
    }
    await this.#o.kube.apply(HOSTS, hostObject(hb, namespace, name));
    const current = await this.#o.kube.get(HOSTS, namespace, name);
    await this.#o.kube.applyStatus(HOSTS, namespace, name, hostStatus(hb, current, now));
    this.#written.set(hostId, { namespace, name, material, at: now });
    return refresh;
  }

  /** collect deletes Host objects whose host is not live (run once the registry is healthy). */
  async collect(): Promise<string[]> {
    const { items } = await this.#o.kube.list(HOSTS);
    const deleted: string[] = [];
    for (const obj of items) {
      const id = obj.metadata.labels?.[HOST_ID_LABEL];
      if (!id || this.#o.registry.get(id)) continue;
      await this.#o.kube.delete(HOSTS, obj.metadata.namespace!, obj.metadata.name);
      this.#written.delete(id);
      deleted.push(id);
    }
    return deleted;
  }
}

/** hostObjectName turns a host id into a DNS subdomain name, adding a hash when it had to change it. */
export function hostObjectName(hostId: string): string {
  const lowered = hostId
    .toLowerCase()
    .replace(/_/g, '-')
    .replace(/^-+|-+$/g, '');
  if (lowered === hostId && lowered.length <= 63) return lowered;
  const hash = createHash('sha256').update(hostId).digest('hex').slice(0, 8);
  return `${lowered.slice(0, 54).replace(/-+$/, '') || 'host'}-${hash}`;
}

function placeOf(hb: Heartbeat, fallback: string): { namespace: string; name: string } {
  return { namespace: hb.pod?.namespace ?? fallback, name: hostObjectName(hb.hostId) };
}

function labelSafe(labels: Readonly<Record<string, string>>): Record<string, string> {
  const key =
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
  const value = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
  return Object.fromEntries(Object.entries(labels).filter(([k, v]) => key.test(k) && k.length <= 316 && value.test(v)));
}

function hostObject(hb: Heartbeat, namespace: string, name: string): KubeObject {
  const owner = hb.pod?.uid
    ? [{ apiVersion: 'v1', kind: 'Pod', name: hb.pod.name, uid: hb.pod.uid, blockOwnerDeletion: false }]
    : undefined;
  return {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'Host',
    metadata: {
      name,
      namespace,
      labels: { ...labelSafe(hb.labels), [HOST_ID_LABEL]: labelSafe({ id: hb.hostId }).id ?? name },
      ...(owner ? { ownerReferences: owner } : {}),
    },
  };
}

function materialOf(hb: Heartbeat): string {
  return JSON.stringify([
    hb.labels,
    hb.interfaces,
    hb.capacity.maxWorkloads,
    hb.cordoned ?? false,
    hb.workloads.map((w) => `${w.id}:${w.state}`).sort(),
    hb.pod ?? null,
    hb.httpPort ?? null,
  ]);
}

function hostStatus(hb: Heartbeat, current: KubeObject | undefined, now: number): HostResourceStatus {
  const previous = (current?.status as HostResourceStatus | undefined)?.conditions;
  const workloads = hb.workloads.map((w) => w.id).sort();
  return {
    hostId: hb.hostId,
    ...(hb.pod
      ? { podName: hb.pod.name, podNamespace: hb.pod.namespace, podIP: hb.pod.ip }
      : hb.podName
        ? { podName: hb.podName }
        : {}),
    ...(hb.httpPort !== undefined ? { httpPort: hb.httpPort } : {}),
    labels: { ...hb.labels },
    labelSummary: Object.entries(hb.labels)
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join(','),
    capacity: { workloads: hb.capacity.maxWorkloads },
    interfaces: [...hb.interfaces],
    cordoned: hb.cordoned ?? false,
    startedAt: hb.startedAt,
    lastHeartbeat: hb.sentAt,
    workloadCount: workloads.length,
    workloads: workloads.slice(0, 100_000),
    conditions: setConditions(
      previous,
      [{ type: 'Ready', status: 'True', reason: 'Heartbeating', message: `heartbeat every ${hb.intervalSeconds}s` }],
      new Date(now),
    ),
  };
}
