/**
 * HttpServerHandler is the host's HTTP server: it buffers each request, asks its router
 * for a workload, runs the request in that workload's component and writes the response.
 * Guest failures become 5xx responses; the server and other workloads keep serving.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InstanceTimeoutError, InstanceTrapError, SkiffError } from '../errors.js';
import type { Span } from '@opentelemetry/api';
import type { HostHandler, HostView } from '../host.js';
import type { Router } from './routers.js';
import { endServerSpan, startServerSpan, traceparentOf } from './tracing.js';

/** HttpServerOptions configures the host HTTP server. */
export interface HttpServerOptions {
  port: number;
  hostname?: string;
  router: Router;
  /** maxBodyBytes bounds a request body (default 16 MiB). */
  maxBodyBytes?: number;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'content-length']);

/** HttpServerHandler serves workloads over HTTP. */
export class HttpServerHandler implements HostHandler {
  readonly #options: HttpServerOptions;
  #server: Server | undefined;
  #host: HostView | undefined;

  constructor(options: HttpServerOptions) {
    this.#options = options;
  }

  /** port is the port the server listens on (after start). */
  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(host: HostView): Promise<void> {
    this.#host = host;
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err) => {
        if (req.destroyed || res.destroyed) {
          host.logger.debug({ err: (err as Error).message }, 'client closed the request');
          return;
        }
        host.logger.error({ err }, 'http handler failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.hostname ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    host.logger.info({ port: this.port, hostname: this.#options.hostname ?? '127.0.0.1' }, 'http server listening');
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The host's tracing, when on, gives each request a server span (continuing an incoming traceparent).
    const tracing = this.#host!.tracing;
    if (!tracing) {
      await this.#serve(req, res, undefined);
      return;
    }
    const span = startServerSpan(tracing.tracer, req, this.port);
    let workload: string | undefined;
    try {
      workload = await this.#serve(req, res, span);
    } finally {
      endServerSpan(span, res, workload);
    }
  }

  /** #serve answers one request and resolves with the id of the workload that served it, if one did. */
  async #serve(req: IncomingMessage, res: ServerResponse, span: Span | undefined): Promise<string | undefined> {
    const host = this.#host!;
    const started = performance.now();
    const target = requestTarget(req);
    if (!target) {
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' }).end('bad request\n');
      return undefined;
    }
    const body = await readBody(req, this.#options.maxBodyBytes ?? 16 << 20);
    if (body === 'closed') {
      host.logger.debug({ url: req.url }, 'client closed the request');
      return undefined;
    }
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'text/plain' }).end('request body too large\n');
      return undefined;
    }
    // Route after the body is in: a workload replaced meanwhile is no longer chosen.
    const workload = this.#options.router.route(host, target.authority, target.path);
    if (!workload) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no workload serves host ${target.authority ?? ''}\n`);
      return undefined;
    }
    const headers: [string, string][] = [];
    const traceparent = span && traceparentOf(span);
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!.toLowerCase();
      if (HOP_BY_HOP.has(name) || name === 'host' || (traceparent && name === 'traceparent')) continue;
      headers.push([name, req.rawHeaders[i + 1]!]);
    }
    // Traced, the guest sees the server span as its caller: what it propagates itself hangs under it.
    if (traceparent) headers.push(['traceparent', traceparent]);
    const authority = target.authority ?? `127.0.0.1:${this.port}`;
    let status: number;
    try {
      const response = await workload.http({
        method: req.method ?? 'GET',
        url: `http://${authority}${target.path}`,
        headers,
        body,
        ...(traceparent ? { traceparent } : {}),
      });
      status = response.status;
      const out: Record<string, string | string[]> = {};
      let guestLength: string | undefined;
      for (const [name, value] of response.headers) {
        if (name === 'content-length') guestLength = value;
        if (HOP_BY_HOP.has(name)) continue;
        const prev = out[name];
        out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
      }
      const bodiless = status === 204 || status === 304 || (status >= 100 && status < 200);
      if (req.method === 'HEAD') {
        // A HEAD answer describes the GET body it does not carry: keep the guest's length.
        if (guestLength !== undefined) out['content-length'] = guestLength;
        res.writeHead(status, out).end();
      } else if (bodiless) {
        res.writeHead(status, out).end();
      } else {
        out['content-length'] = String(response.body.byteLength);
        res.writeHead(status, out).end(response.body);
      }
    } catch (err) {
      status = statusOf(err);
      // The details name the workload and the guest's trap: they go to the log, not to the client.
      host.logger.warn({ workload: workload.id, status, err: (err as Error).message }, 'request failed');
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`${STATUS_TEXT[status] ?? 'error'}\n`);
    }
    host.metrics.httpRequests.inc({ workload: workload.id, code: String(status) });
    host.metrics.httpDuration.observe({ workload: workload.id }, (performance.now() - started) / 1000);
    return workload.id;
  }
}

const STATUS_TEXT: Record<number, string> = {
  500: 'internal server error',
  502: 'bad gateway',
  504: 'gateway timeout',
};

/** RequestTarget is where a request goes: its authority (if any) and its path with query. */
interface RequestTarget {
  readonly authority: string | undefined;
  readonly path: string;
}

/**
 * requestTarget reads the target as RFC 9112 section 3.2 says: origin-form (`/path`) with the
 * Host header, or absolute-form (`http://authority/path`), whose authority wins over Host.
 * It returns undefined (a 400) for two Host headers or any other form.
 */
function requestTarget(req: IncomingMessage): RequestTarget | undefined {
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === 'host') hosts++;
  if (hosts > 1) return undefined;
  const url = req.url ?? '/';
  if (url.startsWith('/')) return { authority: req.headers.host, path: url };
  const absolute = /^https?:\/\/([^/?#@]+)([^#]*)$/i.exec(url);
  if (!absolute) return undefined;
  const rest = absolute[2]!;
  return { authority: absolute[1]!, path: rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest };
}

function statusOf(err: unknown): number {
  if (err instanceof InstanceTimeoutError) return 504;
  if (err instanceof InstanceTrapError) return 500;
  if (err instanceof SkiffError && err.code === 'SKIFF_WORKER_EXITED') return 502;
  return 500;
}

/** readBody buffers a request body: undefined past `limit`, `closed` if the client went away first. */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined | 'closed'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : new Uint8Array(Buffer.concat(chunks))));
    // A client that hangs up mid-body: 'error' (ECONNRESET) and then 'close'; whichever comes first.
    req.on('error', () => resolve('closed'));
    req.on('close', () => {
      if (!req.complete) resolve('closed');
    });
  });
}
