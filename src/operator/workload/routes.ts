/**
 * RoutePublisher keeps a Workload's Service and EndpointSlices in line with the hosts its
 * plan routes to (server-side apply, only when they changed), and removes them before the
 * Workload's finalizer goes.
 */
import type { Workload } from '../../api/index.js';
import type { HostRegistry } from '../hosts/registry.js';
import { stableJson } from '../json.js';
import { ENDPOINTSLICES, type Kube, type KubeObject, SERVICES } from '../kube/index.js';
import { MANAGED_BY, type RoutedHost, servesHttp, serviceFor, serviceName, slicesFor } from './routing.js';
import { WORKLOAD_LABEL } from './status.js';

/** RoutePublisher applies and deletes the routing objects of Workloads. */
export class RoutePublisher {
  readonly #kube: Kube;
  readonly #registry: HostRegistry;
  /** #applied remembers the last objects applied per workload key. */
  readonly #applied = new Map<string, string>();

  constructor(kube: Kube, registry: HostRegistry) {
    this.#kube = kube;
    this.#registry = registry;
  }

  /** publish applies the Workload's Service and EndpointSlices when they changed. */
  async publish(key: string, w: Workload, routed: readonly string[]): Promise<void> {
    const name = servesHttp(w) ? serviceName(w) : undefined;
    if (!name) return;
    const hosts: RoutedHost[] = [];
    for (const hostId of routed) {
      const live = this.#registry.get(hostId);
      const report = live?.reports.get(key);
      if (live && report) hosts.push({ heartbeat: live.heartbeat, report });
    }
    const objects = [serviceFor(w, name), ...slicesFor(w, name, hosts)];
    const wanted = stableJson(objects);
    if (this.#applied.get(key) === wanted) return;
    for (const o of objects) await this.#kube.apply(o.kind === 'Service' ? SERVICES : ENDPOINTSLICES, o);
    // Slices of ports no longer used are emptied, never left pointing at old hosts.
    const { items } = await this.#kube.list(ENDPOINTSLICES, w.metadata.namespace, {
      labelSelector: `kubernetes.io/service-name=${name}`,
    });
    const keep = new Set(objects.map((o) => o.metadata.name));
    for (const slice of items) {
      if (slice.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] !== MANAGED_BY) continue;
      if (!keep.has(slice.metadata.name))
        await this.#kube.delete(ENDPOINTSLICES, slice.metadata.namespace, slice.metadata.name);
    }
    this.#applied.set(key, wanted);
  }

  /** unpublish deletes the Workload's Service and EndpointSlices (before its finalizer goes). */
  async unpublish(key: string, obj: KubeObject): Promise<void> {
    this.#applied.delete(key);
    const ns = obj.metadata.namespace!;
    const { items } = await this.#kube.list(ENDPOINTSLICES, ns, {
      labelSelector: `${WORKLOAD_LABEL}=${obj.metadata.name}`,
    });
    for (const slice of items) {
      if (slice.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === MANAGED_BY) {
        await this.#kube.delete(ENDPOINTSLICES, ns, slice.metadata.name);
      }
    }
    const svc = await this.#kube.get(SERVICES, ns, obj.metadata.name);
    if (svc?.metadata.ownerReferences?.some((r) => r.uid === obj.metadata.uid)) {
      await this.#kube.delete(SERVICES, ns, obj.metadata.name, { preconditionUid: svc.metadata.uid! });
    }
  }
}
