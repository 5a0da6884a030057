/**
 * HttpServerHandler is the host's HTTP server: it buffers each request, asks its router
 * for a workload, runs the request in that workload's component and writes the response.
 * Guest failures become 5xx responses; the server and other workloads keep serving.
 *
 * Moving workloads (ADR 0012, Revision 2): while a workload drains, its answers carry
 * `Connection: close`, so kept-alive clients reconnect through the Service to a live
 * endpoint. Once it stops, idle connections that last served it are closed, and a request
 * arriving on such a connection is closed without an answer (RFC 9112 §9.3.1: the client
 * may retry it on a new connection) instead of getting a 404 that says nothing serves it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { InstanceTimeoutError, InstanceTrapError, SkiffError } from '../errors.js';
import type { HostHandler, HostView } from '../host.js';
import type { RunningWorkload } from '../workload.js';
import type { Router } from './routers.js';
import { traceRequest } from './tracing.js';

/** HttpServerOptions configures the host HTTP server. */
export interface HttpServerOptions {
  port: number;
  hostname?: string;
  router: Router;
  /** maxBodyBytes bounds a request body (default 16 MiB). */
  maxBodyBytes?: number;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'content-length']);

/** Connection is what the server remembers of one client connection. */
interface Connection {
  /** active counts requests on it whose response is not finished. */
  active: number;
  /** last is the id of the workload that served its last routed request. */
  last?: string;
}

/** HttpServerHandler serves workloads over HTTP. */
export class HttpServerHandler implements HostHandler {
  readonly #options: HttpServerOptions;
  #server: Server | undefined;
  #host: HostView | undefined;
  readonly #connections = new Map<Socket, Connection>();
  /** #draining holds the ids of workloads that serve until their stop: their answers close the connection. */
  readonly #draining = new Set<string>();
  /** #gone holds workload incarnations that stopped (requests still inside them answer with close). */
  readonly #gone = new WeakSet<RunningWorkload>();

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
      const conn = this.#connection(req.socket);
      conn.active++;
      res.once('close', () => {
        conn.active--;
      });
      this.#handle(req, res, conn).catch((err) => {
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
    server.on('connection', (socket: Socket) => {
      this.#connection(socket);
      socket.once('close', () => this.#connections.delete(socket));
    });
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
    this.#connections.clear();
    this.#draining.clear();
  }

  /** draining makes the workload's answers close their connections until it stops. */
  draining(workload: RunningWorkload): void {
    this.#draining.add(workload.id);
  }

  /** stopped closes the idle connections whose last request the stopped workload served. */
  stopped(workload: RunningWorkload): void {
    this.#draining.delete(workload.id);
    this.#gone.add(workload);
    let closed = 0;
    for (const [socket, conn] of this.#connections) {
      if (conn.last !== workload.id || conn.active > 0) continue;
      socket.destroy();
      closed++;
    }
    if (closed > 0) this.#host?.logger.debug({ workload: workload.id, closed }, 'closed idle connections');
  }

  /** activeRequests counts requests whose response is not finished yet. */
  get activeRequests(): number {
    let n = 0;
    for (const conn of this.#connections.values()) n += conn.active;
    return n;
  }

  #connection(socket: Socket): Connection {
    let conn = this.#connections.get(socket);
    if (!conn) {
      conn = { active: 0 };
      this.#connections.set(socket, conn);
    }
    return conn;
  }

  async #handle(req: IncomingMessage, res: ServerResponse, conn: Connection): Promise<void> {
    // The host's tracing, when on, gives each request a server span (continuing an incoming traceparent).
    const tracing = this.#host!.tracing;
    if (!tracing) await this.#serve(req, res, conn, undefined);
    else await traceRequest(tracing.tracer, req, res, this.port, (tp) => this.#serve(req, res, conn, tp));
  }

  /**
   * #serve answers one request and resolves with the id of the workload that served it, if
   * one did; `traceparent` (the server span's) replaces the caller's for the guest.
   */
  async #serve(
    req: IncomingMessage,
    res: ServerResponse,
    conn: Connection,
    traceparent: string | undefined,
  ): Promise<string | undefined> {
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
      if (conn.last !== undefined && !host.running().some((w) => w.id === conn.last)) {
        // A kept-alive connection of a workload that moved away: close it unanswered, so the
        // client retries on a new connection (routed to a live endpoint) instead of seeing 404.
        host.logger.debug({ workload: conn.last }, "request on a moved workload's connection: closed");
        req.socket.destroy();
        return undefined;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no workload serves host ${target.authority ?? ''}\n`);
      return undefined;
    }
    const headers: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!.toLowerCase();
      if (HOP_BY_HOP.has(name) || name === 'host' || (traceparent && name === 'traceparent')) continue;
      headers.push([name, req.rawHeaders[i + 1]!]);
    }
    if (traceparent) headers.push(['traceparent', traceparent]);
    conn.last = workload.id;
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
      if (this.#closing(workload)) out.connection = 'close';
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
      const plain: Record<string, string> = { 'content-type': 'text/plain' };
      if (this.#closing(workload)) plain.connection = 'close';
      res.writeHead(status, plain).end(`${STATUS_TEXT[status] ?? 'error'}\n`);
    }
    host.metrics.httpRequests.inc({ workload: workload.id, code: String(status) });
    host.metrics.httpDuration.observe({ workload: workload.id }, (performance.now() - started) / 1000);
    return workload.id;
  }

  /** #closing says whether answers of `workload` should close their connection (it drains or stopped). */
  #closing(workload: RunningWorkload): boolean {
    return this.#draining.has(workload.id) || this.#gone.has(workload);
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
