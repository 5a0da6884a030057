/**
 * AdminHandler serves the host's own endpoints on a separate port, so they never
 * collide with a guest's routes: `/metrics` (Prometheus), `/healthz`, `/readyz`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HostHandler, HostView } from '../host.js';

/** AdminHandler serves metrics and health checks. */
export class AdminHandler implements HostHandler {
  readonly #port: number;
  readonly #hostname: string;
  #server: Server | undefined;

  constructor(options: { port: number; hostname?: string }) {
    this.#port = options.port;
    this.#hostname = options.hostname ?? '127.0.0.1';
  }

  /** port is the port the admin server listens on (after start). */
  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(host: HostView): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        host.metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': host.metrics.registry.contentType }).end(text),
          (err) => res.writeHead(500).end(String(err)),
        );
      } else if (path === '/healthz' || path === '/readyz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, this.#hostname, () => resolve());
    });
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
