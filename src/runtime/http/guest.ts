/**
 * The guest side of wasi:http, run inside a workload worker: the `wasi:http/types`
 * resources (from preview2-shim's pure-JS browser build), an outgoing handler that only
 * reaches allowed hosts, and the call of a guest's `incoming-handler`.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HttpRequestData, HttpResponseData } from '../bridge/protocol.js';

const require = createRequire(import.meta.url);
const shimRoot = join(dirname(require.resolve('@bytecodealliance/preview2-shim')), '..', 'browser');

interface HttpShim {
  types: Record<string, unknown> & {
    OutgoingRequest: { prototype: { authority(): string | undefined } };
  };
  outgoingHandler: { handle(request: unknown, options: unknown): unknown };
  handleIncomingRequest(
    request: Request,
    handler: (req: unknown, out: unknown) => unknown,
  ): Promise<Response>;
}

const shim = (await import(pathToFileURL(join(shimRoot, 'http.js')).href)) as HttpShim;

/** hostAllowed says whether `authority` (host[:port]) matches one of the allowed host names. */
export function hostAllowed(authority: string, allowed: readonly string[]): boolean {
  const host = authority.replace(/^\[/, '').replace(/\](:\d+)?$/, '').replace(/:\d+$/, '').toLowerCase();
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
    'wasi:http/types': shim.types,
    'wasi:http/outgoing-handler': {
      handle(request: { authority(): string | undefined }, options: unknown) {
        const authority = request.authority() ?? '';
        if (!hostAllowed(authority, allowed)) {
          throw { tag: 'HTTP-request-denied' };
        }
        return shim.outgoingHandler.handle(request, options);
      },
    },
  };
}

/** serveHttp runs one buffered request through a guest's `handle` export and buffers its response. */
export async function serveHttp(
  handler: { handle(req: unknown, out: unknown): unknown },
  req: HttpRequestData,
): Promise<HttpResponseData> {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && req.body.byteLength > 0;
  const request = new Request(req.url, {
    method: req.method,
    headers: req.headers,
    body: hasBody ? (req.body as Uint8Array<ArrayBuffer>) : null,
  });
  const response = await shim.handleIncomingRequest(request, (r, o) => handler.handle(r, o));
  const headers: [string, string][] = [];
  for (const [name, value] of response.headers) headers.push([name, value]);
  return { status: response.status, headers, body: new Uint8Array(await response.arrayBuffer()) };
}
