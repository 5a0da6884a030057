/**
 * The operator's access to Kubernetes: a client over client-node's configuration with
 * bounded requests and zod-parsed responses (`client.ts`, `transport.ts`, `watch.ts`), a
 * reconnecting informer (`informer.ts`, `reflector.ts`), a keyed work queue (`queue.ts`),
 * Lease-based leader election (`leader.ts`), an Event recorder (`events.ts`), the resources
 * the operator touches (`resources.ts`), its errors and metrics. Decisions: docs/adr/0009.
 */
export { Backoff, type BackoffOptions } from './backoff.js';
export { type CallOptions, DEFAULT_FIELD_MANAGER, Kube, type KubeOptions, type ListResult } from './client.js';
export { type KubeSource, kubeSource } from './config.js';
export {
  isKubeError,
  KubeConfigError,
  KubeError,
  type KubeErrorCode,
  KubeTimeoutError,
} from './errors.js';
export { EventRecorder, type EventRecorderOptions, NOTE_MAX_BYTES, truncateBytes } from './events.js';
export { Informer, type InformerOptions } from './informer.js';
export { LeaderConfigError, LeaderElector, type LeaderElectorOptions } from './leader.js';
export { createKubeMetrics, type KubeMetrics } from './metrics.js';
export { type ReconcileResult, TerminalError, WorkQueue, type WorkQueueOptions } from './queue.js';
export {
  apiVersionOf,
  CONFIGMAPS,
  ENDPOINTSLICES,
  EVENTS,
  HOSTCONFIGS,
  HOSTS,
  type KubeObject,
  LEASES,
  microTime,
  type ObjectMeta,
  type OwnerReference,
  objectKey,
  PODS,
  type ResourceRef,
  resourcePath,
  SECRETS,
  SERVICES,
  splitKey,
  WORKLOADS,
} from './resources.js';
export type { WatchEvent, WatchOptions } from './watch.js';
