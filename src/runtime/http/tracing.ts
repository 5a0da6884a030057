/**
 * The HTTP server's span per request: a SERVER span that continues the trace of the
 * request's W3C `traceparent` (when it has a valid one) and whose own traceparent the
 * workload's spans hang under.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, type Span, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { formatTraceparent, parseTraceparent } from '../../telemetry/tracing/records.js';

/** startServerSpan starts the span of one incoming request. */
export function startServerSpan(tracer: Tracer, req: IncomingMessage, port: number): Span {
  const header = req.headers.traceparent;
  const incoming = parseTraceparent(typeof header === 'string' ? header.trim().toLowerCase() : undefined);
  const parent = incoming
    ? trace.setSpanContext(context.active(), {
        traceId: incoming.traceId,
        spanId: incoming.spanId,
        traceFlags: incoming.sampled ? 1 : 0,
        isRemote: true,
      })
    : context.active();
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').replace(/[?#].*$/, '');
  return tracer.startSpan(
    method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        'url.path': path.slice(0, 1024),
        'url.scheme': 'http',
        'server.port': port,
        ...(req.headers.host ? { 'server.address': req.headers.host.replace(/:\d+$/, '').slice(0, 256) } : {}),
        ...(req.socket.remoteAddress ? { 'client.address': req.socket.remoteAddress } : {}),
      },
    },
    parent,
  );
}

/** traceparentOf prints the traceparent a span's children are given. */
export function traceparentOf(span: Span): string {
  const c = span.spanContext();
  return formatTraceparent({ traceId: c.traceId, spanId: c.spanId, sampled: (c.traceFlags & 1) === 1 });
}

/**
 * traceRequest runs `serve` (which resolves with the id of the workload that answered, if
 * any) under the request's server span, handing it the span's traceparent, and ends the span.
 */
export async function traceRequest(
  tracer: Tracer,
  req: IncomingMessage,
  res: ServerResponse,
  port: number,
  serve: (traceparent: string) => Promise<string | undefined>,
): Promise<void> {
  const span = startServerSpan(tracer, req, port);
  let workload: string | undefined;
  try {
    workload = await serve(traceparentOf(span));
  } finally {
    endServerSpan(span, res, workload);
  }
}

/** endServerSpan records the response's status on the span and ends it. */
export function endServerSpan(span: Span, res: ServerResponse, workload: string | undefined): void {
  const status = res.headersSent ? res.statusCode : 0;
  if (status > 0) span.setAttribute('http.response.status_code', status);
  if (workload) span.setAttribute('skiff.workload', workload);
  if (status >= 500 || status === 0) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
