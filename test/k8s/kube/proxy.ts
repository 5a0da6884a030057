/**
 * Test helpers for the kube layer: a loopback TCP proxy that can cut every connection or
 * stop accepting (to break watches and renewals on purpose), and Kube clients built from
 * the test API server's kubeconfig, directly or through a proxy.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { Kube, type KubeOptions } from '../../../src/operator/kube/index.js';

/** TcpProxy forwards 127.0.0.1:port to a target; `cut` drops live connections, `stall` freezes them, `pause`/`resume` refuse or accept new ones. */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #pairs: [Socket, Socket][] = [];
  #server: Server | undefined;
  port = 0;
  /** connections counts accepted client connections. */
  connections = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** start listens (on the previous port when restarting). */
  async start(): Promise<void> {
    const server = createServer((client) => {
      this.connections++;
      const upstream = tcpConnect(this.#target.port, this.#target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
      this.#pairs.push([client, upstream]);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.#server = server;
  }

  /** cut destroys every open connection (both sides). */
  cut(): void {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    this.#pairs = [];
  }

  /** stall stops forwarding on the open connections without closing them (a silently dead peer); new ones work. */
  stall(): void {
    for (const [client, upstream] of this.#pairs.splice(0)) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** pause stops accepting connections and cuts the open ones. */
  async pause(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.cut();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** resume accepts connections again on the same port. */
  resume(): Promise<void> {
    return this.start();
  }
}

/** kubeConfigFor loads the test kubeconfig, optionally pointing its server at `port` on 127.0.0.1. */
export function kubeConfigFor(kubeconfig: string, port?: number): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(readFileSync(kubeconfig, 'utf8'));
  if (port !== undefined) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('test kubeconfig has no cluster');
    const server = new URL(cluster.server);
    server.port = String(port);
    kc.clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server: server.origin } : c));
  }
  return kc;
}

/** kubeFor returns a Kube client of the test API server (through the proxy on `port` when given). */
export function kubeFor(kubeconfig: string, port?: number, options: KubeOptions = {}): Kube {
  return new Kube(kubeConfigFor(kubeconfig, port), options);
}

/** serverAddress is the host and port of the test API server. */
export function serverAddress(server: string): { host: string; port: number } {
  const url = new URL(server);
  return { host: url.hostname, port: Number(url.port) };
}
