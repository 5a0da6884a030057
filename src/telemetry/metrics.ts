/**
 * Metrics factory: prom-client metrics on their own registry (never the global one).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** HostMetrics are the metrics a host records. */
export interface HostMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'workload' | 'code'>;
  readonly httpDuration: Histogram<'workload'>;
  readonly instances: Gauge<'workload'>;
  readonly instanceEvents: Counter<'workload' | 'event'>;
  readonly startFailures: Counter<'reason'>;
}

/** createMetrics registers the host metrics on a fresh registry (or the one given). */
export function createMetrics(registry: Registry = new Registry()): HostMetrics {
  return {
    registry,
    httpRequests: new Counter({
      name: 'skiff_http_requests_total',
      help: 'HTTP requests served, by workload and status code.',
      labelNames: ['workload', 'code'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'skiff_http_request_duration_seconds',
      help: 'Time from request to response, by workload.',
      labelNames: ['workload'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    instances: new Gauge({
      name: 'skiff_workload_components',
      help: 'Running component workers, by workload.',
      labelNames: ['workload'] as const,
      registers: [registry],
    }),
    instanceEvents: new Counter({
      name: 'skiff_instance_events_total',
      help: 'Guest instances discarded (trap), workers restarted (timeout, crash) and services restarted or given up on (service-restart, service-failed), by workload.',
      labelNames: ['workload', 'event'] as const,
      registers: [registry],
    }),
    startFailures: new Counter({
      name: 'skiff_workload_start_failures_total',
      help: 'Workload starts that failed, by reason.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}
