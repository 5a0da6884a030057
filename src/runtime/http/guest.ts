/**
 * The guest side of wasi:http, run inside a workload worker: Skiff's own `wasi:http/types`
 * resources (src/runtime/http/wasi), an outgoing handler that only reaches allowed hosts,
 * and the call of a guest's `incoming-handler`.
 */
import type { HttpRequestData, HttpResponseData } from '../bridge/protocol.js';
import { type OutgoingRequest, type RequestOptions, send, serve, types } from './wasi/index.js';

/** hostAllowed says whether `authority` (host[:port]) matches one of the allowed host names. */
export function hostAllowed(authority: string, allowed: readonly string[]): boolean {
  const host = authority
    .replace(/^\[/, '')
    .replace(/\](:\d+)?$/, '')
    .replace(/:\d+$/, '')
    .toLowerCase();
  return allowed.some((pattern) => {
    const p = pattern.trim().toLowerCase();
    if (p === '*') return true;
    if (p.startsWith('*.')) return host.endsWith(p.slice(1));
    return host === p;
  });
}

/** httpImports returns the wasi:http import fragment for a worker; outgoing requests reach only `allowed` hosts. */
export function httpImports(allowed: readonly string[]): Record<string, Record<string, unknown>> {
  return {
    'wasi:http/types': types,
    'wasi:http/outgoing-handler': {
      handle(request: OutgoingRequest, options: RequestOptions | undefined) {
        if (!hostAllowed(request.authority() ?? '', allowed)) {
          throw { tag: 'HTTP-request-denied' };
        }
        return send(request, options);
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
