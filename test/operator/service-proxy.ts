/**
 * ServiceProxy stands in for kube-proxy in the operator tier (no kubelet, no iptables): it
 * listens on a loopback port, follows a Service's EndpointSlices by polling the API server
 * (a rule sync every `syncMs`, like kube-proxy's), and sends each new TCP connection to one
 * ready endpoint, round robin. A connection stays with the endpoint it was sent to for its
 * whole life, as conntrack keeps it; only new connections see new endpoints.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import type { Manifest, Stack } from './stack.js';

/** ServiceProxy forwards connections to a Service's current endpoints. */
export class ServiceProxy {
  readonly #stack: Stack;
  readonly #service: string;
  readonly #syncMs: number;
  readonly #sockets = new Set<Socket>();
  #endpoints: { host: string; port: number }[] = [];
  #next = 0;
  #server: Server | undefined;
  #timer: NodeJS.Timeout | undefined;
  port = 0;
  /** connections counts accepted client connections; refused counts those with no endpoint to go to. */
  connections = 0;
  refused = 0;

  constructor(stack: Stack, service: string, syncMs = 100) {
    this.#stack = stack;
    this.#service = service;
    this.#syncMs = syncMs;
  }

  /** endpoints are the ip:port pairs new connections go to now. */
  get endpoints(): string[] {
    return this.#endpoints.map((e) => `${e.host}:${e.port}`);
  }

  /** start syncs the endpoints once, then listens and keeps syncing. */
  async start(): Promise<void> {
    await this.#sync();
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.#server = server;
    const loop = async () => {
      await this.#sync().catch(() => undefined);
      if (this.#server) this.#timer = setTimeout(loop, this.#syncMs);
    };
    this.#timer = setTimeout(loop, this.#syncMs);
  }

  /** stop closes the listener and every forwarded connection. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    this.connections++;
    const target = this.#endpoints[this.#next++ % Math.max(1, this.#endpoints.length)];
    if (!target) {
      this.refused++;
      client.destroy();
      return;
    }
    const upstream = tcpConnect(target.port, target.host);
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      // Either side closing or failing closes the other, as a NATed connection would end.
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async #sync(): Promise<void> {
    const selector = encodeURIComponent(`kubernetes.io/service-name=${this.#service}`);
    const path = `/apis/discovery.k8s.io/v1/namespaces/${this.#stack.namespace}/endpointslices?labelSelector=${selector}`;
    const res = await this.#stack.cluster.http.send('GET', path);
    if (res.status !== 200) return;
    this.#endpoints = ((res.body.items ?? []) as Manifest[]).flatMap((slice) =>
      ((slice.endpoints ?? []) as Manifest[])
        .filter((e) => e.conditions?.ready)
        .flatMap((e) => (e.addresses as string[]).map((host) => ({ host, port: Number(slice.ports[0].port) }))),
    );
  }
}
