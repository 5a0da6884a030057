/**
 * The resources the operator reads and writes, named by group/version/plural, and the
 * loose object shape every API response is parsed into.
 */
import { API_GROUP, API_VERSION } from '../../api/index.js';

/** ResourceRef names one API resource: where it is served and whether objects live in a namespace. */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

function ref(group: string, version: string, plural: string, kind: string, namespaced = true): ResourceRef {
  return Object.freeze({ group, version, plural, kind, namespaced });
}

/** WORKLOADS is the Workload custom resource. */
export const WORKLOADS = ref(API_GROUP, API_VERSION, 'workloads', 'Workload');
/** HOSTCONFIGS is the HostConfig custom resource. */
export const HOSTCONFIGS = ref(API_GROUP, API_VERSION, 'hostconfigs', 'HostConfig');
/** HOSTS is the Host custom resource (written by the operator from heartbeats). */
export const HOSTS = ref(API_GROUP, API_VERSION, 'hosts', 'Host');
/** LEASES is coordination.k8s.io/v1 Lease (leader election). */
export const LEASES = ref('coordination.k8s.io', 'v1', 'leases', 'Lease');
/** PODS is core/v1 Pod. */
export const PODS = ref('', 'v1', 'pods', 'Pod');
/** SERVICES is core/v1 Service. */
export const SERVICES = ref('', 'v1', 'services', 'Service');
/** ENDPOINTSLICES is discovery.k8s.io/v1 EndpointSlice. */
export const ENDPOINTSLICES = ref('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice');
/** EVENTS is events.k8s.io/v1 Event. */
export const EVENTS = ref('events.k8s.io', 'v1', 'events', 'Event');
/** SECRETS is core/v1 Secret. */
export const SECRETS = ref('', 'v1', 'secrets', 'Secret');
/** CONFIGMAPS is core/v1 ConfigMap. */
export const CONFIGMAPS = ref('', 'v1', 'configmaps', 'ConfigMap');

/** OwnerReference points from a dependent object to its owner. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** ObjectMeta is the part of metav1.ObjectMeta the operator reads and writes. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  ownerReferences?: OwnerReference[];
  creationTimestamp?: string;
}

/** KubeObject is any Kubernetes object: typed metadata, untyped spec and status (parse them with zod). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

/** apiVersionOf is the `apiVersion` string of a resource (`v1` for the core group). */
export function apiVersionOf(r: ResourceRef): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** objectKey is `namespace/name`, or `name` for a cluster-scoped object. */
export function objectKey(obj: { metadata: { name: string; namespace?: string | undefined } }): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name}` : obj.metadata.name;
}

/** splitKey is the inverse of objectKey: `{ namespace, name }` (namespace undefined for cluster scope). */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** resourcePath is the URL path of a collection, an object, or one of its subresources. */
export function resourcePath(r: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const obj = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  const sub = subresource && name !== undefined ? `/${subresource}` : '';
  return `${base}${ns}/${r.plural}${obj}${sub}`;
}

/** typed fills in apiVersion and kind from the resource when the server left them out (list items). */
export function typed(r: ResourceRef, obj: KubeObject): KubeObject {
  if (obj.apiVersion && obj.kind) return obj;
  return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(r), kind: obj.kind ?? r.kind };
}

/** microTime renders a metav1.MicroTime (RFC 3339 with six fractional digits). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
