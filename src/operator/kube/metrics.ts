/**
 * Metrics of the Kubernetes access layer (API requests, informers, work queues), created
 * on a registry the caller owns.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** KubeMetrics are the prom-client metrics the client, informers and queues record. */
export interface KubeMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'verb' | 'resource' | 'code'>;
  readonly watchRestarts: Counter<'resource' | 'reason'>;
  readonly relists: Counter<'resource'>;
  readonly cached: Gauge<'resource'>;
  readonly queueDepth: Gauge<'queue'>;
  readonly queueRetries: Counter<'queue'>;
  readonly reconciles: Counter<'queue' | 'result'>;
  readonly reconcileDuration: Histogram<'queue'>;
}

/** createKubeMetrics registers the kube-layer metrics on a fresh registry (or the one given). */
export function createKubeMetrics(registry: Registry = new Registry()): KubeMetrics {
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'skiff_operator_kube_requests_total',
      help: 'API server requests, by verb, resource and outcome (HTTP status or error code).',
      labelNames: ['verb', 'resource', 'code'] as const,
      registers,
    }),
    watchRestarts: new Counter({
      name: 'skiff_operator_watch_restarts_total',
      help: 'Watches re-established, by resource and reason (timeout, error, gone).',
      labelNames: ['resource', 'reason'] as const,
      registers,
    }),
    relists: new Counter({
      name: 'skiff_operator_informer_lists_total',
      help: 'Full lists an informer performed (the first one and each after 410 Gone), by resource.',
      labelNames: ['resource'] as const,
      registers,
    }),
    cached: new Gauge({
      name: 'skiff_operator_informer_objects',
      help: 'Objects in an informer cache, by resource.',
      labelNames: ['resource'] as const,
      registers,
    }),
    queueDepth: new Gauge({
      name: 'skiff_operator_queue_depth',
      help: 'Keys waiting to be reconciled, by queue.',
      labelNames: ['queue'] as const,
      registers,
    }),
    queueRetries: new Counter({
      name: 'skiff_operator_queue_retries_total',
      help: 'Keys re-queued with backoff after a failed reconcile, by queue.',
      labelNames: ['queue'] as const,
      registers,
    }),
    reconciles: new Counter({
      name: 'skiff_operator_reconciles_total',
      help: 'Reconciles finished, by queue and result (success, requeue, error, terminal).',
      labelNames: ['queue', 'result'] as const,
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'skiff_operator_reconcile_duration_seconds',
      help: 'Time one reconcile took, by queue.',
      labelNames: ['queue'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}
