/**
 * HTTP routing for a Workload through Kubernetes: a selector-less Service named after the
 * Workload (port 80) and EndpointSlices listing the pod IPs of the hosts where a replica
 * serves, one slice per host HTTP port. Pure builders; the controller applies them.
 */
import type { Heartbeat, Workload, WorkloadReport } from '../../api/index.js';
import type { KubeObject } from '../kube/index.js';
import { WORKLOAD_LABEL } from './plan.js';

/** MANAGED_BY marks EndpointSlices this operator owns (the endpointslice controller leaves them alone). */
export const MANAGED_BY = 'skiff-operator';
const SERVICE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** servesHttp tells whether a Workload is granted wasi:http's incoming handler. */
export function servesHttp(w: Workload): boolean {
  return w.spec.hostInterfaces.some(
    (h) => h.namespace === 'wasi' && h.package === 'http' && h.interfaces.includes('incoming-handler'),
  );
}

/** serviceName is the Service of a Workload, or undefined when its name cannot be one (DNS-1035). */
export function serviceName(w: Workload): string | undefined {
  return SERVICE_NAME.test(w.metadata.name) ? w.metadata.name : undefined;
}

/** RoutedHost is a host whose replica may receive traffic. */
export interface RoutedHost {
  readonly heartbeat: Heartbeat;
  readonly report: WorkloadReport;
}

function owner(w: Workload) {
  return [
    {
      apiVersion: w.apiVersion,
      kind: 'Workload',
      name: w.metadata.name,
      uid: w.metadata.uid!,
      controller: true,
      blockOwnerDeletion: false,
    },
  ];
}

/** serviceFor builds the Workload's Service. */
export function serviceFor(w: Workload, name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: w.metadata.namespace!,
      labels: { [WORKLOAD_LABEL]: w.metadata.name, 'app.kubernetes.io/managed-by': 'skiff-operator' },
      ownerReferences: owner(w),
    },
    spec: { type: 'ClusterIP', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] },
  };
}

/** slicesFor builds one EndpointSlice per host HTTP port with the pod IPs of `hosts`. */
export function slicesFor(w: Workload, name: string, hosts: readonly RoutedHost[]): KubeObject[] {
  const byPort = new Map<number, RoutedHost[]>();
  for (const h of hosts) {
    const ip = h.heartbeat.pod?.ip;
    const port = h.heartbeat.httpPort;
    if (!ip || !port || !/^\d+\.\d+\.\d+\.\d+$/.test(ip)) continue;
    byPort.set(port, [...(byPort.get(port) ?? []), h]);
  }
  return [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, list]) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${name}-${port}`,
        namespace: w.metadata.namespace!,
        labels: {
          'kubernetes.io/service-name': name,
          'endpointslice.kubernetes.io/managed-by': MANAGED_BY,
          [WORKLOAD_LABEL]: w.metadata.name,
        },
        ownerReferences: owner(w),
      },
      addressType: 'IPv4',
      ports: [{ name: 'http', port, protocol: 'TCP' }],
      endpoints: list
        .sort((a, b) => a.heartbeat.hostId.localeCompare(b.heartbeat.hostId))
        .map((h) => ({
          addresses: [h.heartbeat.pod!.ip],
          conditions: { ready: true, serving: true, terminating: false },
          targetRef: {
            kind: 'Pod',
            name: h.heartbeat.pod!.name,
            namespace: h.heartbeat.pod!.namespace,
            uid: h.heartbeat.pod!.uid,
          },
        })),
    }));
}
