/**
 * guestMetricsExporter sends the metric batches guests hand `wasi:otel/metrics` to the
 * OTLP/HTTP metrics endpoint, in the background: a batch is accepted at once or refused
 * when MAX_IN_FLIGHT exports are already on their way (a guest never waits on the network).
 */
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { ResourceMetrics, ScopeMetrics } from '@opentelemetry/sdk-metrics';
import type { Logger } from '../logger.js';
import type { AttributeValue } from './records.js';

/** MAX_IN_FLIGHT bounds the metric exports under way at once. */
export const MAX_IN_FLIGHT = 4;

/** GuestMetricsExporter exports guests' metrics. */
export interface GuestMetricsExporter {
  /**
   * export queues one batch: the guest's resource attributes (the host's resource wins on
   * conflicts) and its scopes' metrics. False when too many exports are under way.
   */
  export(resource: Record<string, AttributeValue>, scopeMetrics: ScopeMetrics[]): boolean;
  shutdown(): Promise<void>;
}

/** guestMetricsExporter returns an exporter to `url` under the host's `resource`. */
export function guestMetricsExporter(
  url: string,
  options: { resource: Resource; headers: Readonly<Record<string, string>>; timeoutMs: number; logger: Logger },
): GuestMetricsExporter {
  const exporter = new OTLPMetricExporter({ url, headers: { ...options.headers }, timeoutMillis: options.timeoutMs });
  let inFlight = 0;
  let lastLog = 0;
  return {
    export(attributes, scopeMetrics) {
      if (inFlight >= MAX_IN_FLIGHT) return false;
      inFlight++;
      const batch: ResourceMetrics = {
        resource: resourceFromAttributes(attributes as Record<string, string>).merge(options.resource),
        scopeMetrics,
      };
      exporter.export(batch, (result) => {
        inFlight--;
        if (result.code !== ExportResultCode.SUCCESS && Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          options.logger.warn({ err: result.error?.message }, 'guest metrics export failed; dropped');
        }
      });
      return true;
    },
    shutdown: () => exporter.shutdown().catch(() => undefined),
  };
}
