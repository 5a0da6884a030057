/**
 * The operator's prom-client metrics, on their own registry (never the global one).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** OperatorMetrics are the metrics the operator records. */
export interface OperatorMetrics {
  readonly registry: Registry;
  readonly reconciles: Counter<'kind' | 'result'>;
  readonly reconcileDuration: Histogram<'kind'>;
  readonly queueDepth: Gauge;
  readonly liveHosts: Gauge;
  readonly workloadsByCondition: Gauge<'condition' | 'status'>;
  readonly leader: Gauge;
  readonly controlRequests: Counter<'verb' | 'result'>;
}

/** createOperatorMetrics registers the operator metrics on a fresh registry (or the one given). */
export function createOperatorMetrics(registry: Registry = new Registry()): OperatorMetrics {
  return {
    registry,
    reconciles: new Counter({
      name: 'skiff_operator_reconciles_total',
      help: 'Reconciles, by kind and result (ok, error, requeue).',
      labelNames: ['kind', 'result'] as const,
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: 'skiff_operator_reconcile_duration_seconds',
      help: 'Time one reconcile takes, by kind.',
      labelNames: ['kind'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'skiff_operator_queue_depth',
      help: 'Keys waiting in the work queue.',
      registers: [registry],
    }),
    liveHosts: new Gauge({
      name: 'skiff_operator_live_hosts',
      help: 'Hosts whose heartbeats are current.',
      registers: [registry],
    }),
    workloadsByCondition: new Gauge({
      name: 'skiff_operator_workloads',
      help: 'Workloads by condition type and status, as last reported.',
      labelNames: ['condition', 'status'] as const,
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'skiff_operator_leader',
      help: '1 while this operator holds the leader Lease, else 0.',
      registers: [registry],
    }),
    controlRequests: new Counter({
      name: 'skiff_operator_control_requests_total',
      help: 'Control requests sent to hosts, by verb and result.',
      labelNames: ['verb', 'result'] as const,
      registers: [registry],
    }),
  };
}
