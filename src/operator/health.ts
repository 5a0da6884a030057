/**
 * The operator's own HTTP endpoints: `/healthz` and `/readyz` on the health port (for the
 * kubelet's probes), `/metrics` on the metrics port (for Prometheus). Port 0 picks a free
 * port; `ports()` tells which.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Readiness explains whether the operator is ready, and if not, why. */
export interface Readiness {
  readonly ready: boolean;
  readonly detail: string;
}

/** HealthServerOptions configure the endpoints. */
export interface HealthServerOptions {
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly bind: string;
  readonly registry: Registry;
  readonly readiness: () => Readiness;
}

/** HealthServer serves health checks and metrics. */
export class HealthServer {
  readonly #o: HealthServerOptions;
  readonly #servers: Server[] = [];

  constructor(options: HealthServerOptions) {
    this.#o = options;
  }

  /** start listens on both ports (one server when they are equal). */
  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => this.#serve(req, res);
    const ports =
      this.#o.healthPort === this.#o.metricsPort ? [this.#o.healthPort] : [this.#o.healthPort, this.#o.metricsPort];
    for (const port of ports) {
      const server = createServer(handler);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, this.#o.bind, () => resolve());
      });
      this.#servers.push(server);
    }
  }

  /** ports are the bound health and metrics ports. */
  ports(): { health: number; metrics: number } {
    const port = (s: Server | undefined) => (s?.address() as AddressInfo | null)?.port ?? 0;
    const health = port(this.#servers[0]);
    return { health, metrics: this.#servers.length > 1 ? port(this.#servers[1]) : health };
  }

  /** stop closes the servers. */
  async stop(): Promise<void> {
    for (const s of this.#servers.splice(0)) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  #serve(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const r = this.#o.readiness();
      res.writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(`${r.detail}\n`);
    } else if (path === '/metrics') {
      this.#o.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.#o.registry.contentType }).end(text),
        () => res.writeHead(500).end('metrics unavailable\n'),
      );
    } else {
      res.writeHead(404).end();
    }
  }
}
