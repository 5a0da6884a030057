/**
 * The guest side of wasi:http, run inside a workload worker: Skiff's own `wasi:http/types`
 * resources (this folder), an outgoing handler that only reaches allowed hosts,
 * and the call of a guest's `incoming-handler`.
 */
import { isIP } from 'node:net';
import type { HttpRequestData, HttpResponseData } from '../../channel/messages.js';
import { childSpan, type ThreadScope } from '../trace.js';
import { EgressPolicy, isInternalAddress } from './egress.js';
import { type OutgoingRequest, type RequestOptions, schemeOf, send, serve, types } from './index.js';
import { methodName } from './serve.js';

/**
 * httpImports returns the wasi:http import fragment for a worker. Outgoing requests reach
 * only what `allowed` (the grant's allowedHosts) permits: `HTTP-request-denied` otherwise,
 * and `destination-IP-prohibited` for an internal address no entry names exactly. With a
 * `scope`, a request sent under a traced call gets a CLIENT span and carries its traceparent.
 */
export function httpImports(allowed: readonly string[], scope?: ThreadScope): Record<string, Record<string, unknown>> {
  const policy = new EgressPolicy(allowed);
  return {
    'wasi:http/types': types,
    'wasi:http/outgoing-handler': {
      handle(request: OutgoingRequest, options: RequestOptions | undefined) {
        const decision = policy.permits(request.authority() ?? '', schemeOf(request));
        if (!decision) throw { tag: 'HTTP-request-denied' };
        // An address needs no DNS lookup, so it is checked here rather than when connecting.
        if (!decision.internal && isIP(decision.host) !== 0 && isInternalAddress(decision.host)) {
          throw { tag: 'destination-IP-prohibited' };
        }
        const parent = scope?.current();
        if (!parent) return send(request, options, decision);
        const name = methodName(request._method);
        const span = childSpan(parent, name, 'client', {
          'http.request.method': name,
          'server.address': decision.host,
          'url.scheme': schemeOf(request),
        });
        return send(request, options, decision, span);
      },
    },
  };
}

/** serveHttp runs one buffered request through a guest's `handle` export and buffers its response. */
export function serveHttp(
  handler: { handle(req: unknown, out: unknown): unknown },
  req: HttpRequestData,
): Promise<HttpResponseData> {
  return serve(handler, req);
}
