/**
 * The operator's configuration: what `skiff operator` parses from flags and environment into
 * one frozen object, and its defaults.
 */

/** OperatorConfig is the operator's parsed, frozen configuration. */
export interface OperatorConfig {
  /** namespaces to watch; empty watches every namespace. */
  readonly namespaces: readonly string[];
  readonly leaseNamespace: string;
  readonly leaseName: string;
  /** identity names this operator in the Lease (pod name, or hostname + pid). */
  readonly identity: string;
  /** hostNamespace holds Host objects of hosts that run outside pods. */
  readonly hostNamespace: string;
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly bind: string;
  readonly missedHeartbeats: number;
  readonly resyncMs: number;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  /** hostImage is the image of host pods when a HostConfig names none (the operator's own). */
  readonly hostImage: string;
  /** natsUrl is what host pods connect to when a HostConfig names no NATS (the operator's own). */
  readonly natsUrl: string;
  /** hostServiceAccount runs host pods (a ServiceAccount with no permissions), if set. */
  readonly hostServiceAccount?: string | undefined;
  /** hostImagePullPolicy of host containers (default IfNotPresent). */
  readonly hostImagePullPolicy?: string | undefined;
  /** watchSecrets follows Secrets Workloads name with an informer (list and watch) instead of polling each (get). */
  readonly watchSecrets?: boolean | undefined;
}

/** DEFAULT_OPERATOR_CONFIG holds the defaults `skiff operator` starts from. */
export const DEFAULT_OPERATOR_CONFIG: Omit<OperatorConfig, 'identity'> = Object.freeze({
  namespaces: [],
  leaseNamespace: 'skiff-system',
  leaseName: 'skiff-operator',
  hostNamespace: 'skiff-system',
  healthPort: 8081,
  metricsPort: 9465,
  bind: '0.0.0.0',
  missedHeartbeats: 3,
  resyncMs: 5 * 60_000,
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  hostImage: 'skiff:0.1.0',
  natsUrl: 'nats://nats:4222',
});
