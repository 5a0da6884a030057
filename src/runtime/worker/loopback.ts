/**
 * LoopbackHub is the main-thread side of one workload's virtual loopback: the ports its
 * service listens on, and the introductions between a connecting component context and the
 * listening one. Each context gets its own channel (`attach`); a connection is a fresh
 * MessagePort pair whose ends go to the two contexts, which then talk thread to thread.
 * Nothing here opens a real socket, and a hub serves one workload only.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { LoopbackReply, LoopbackRequest } from '../channel/loopback.js';

/** EPHEMERAL_PORTS is where a listen on port 0 finds its port. */
const EPHEMERAL_PORTS = { first: 49152, last: 65535 };
/** MAX_LISTENERS bounds the ports one workload listens on. */
const MAX_LISTENERS = 256;

/** LoopbackHub introduces the component contexts of one workload to each other. */
export class LoopbackHub {
  /** #listeners maps a listening port to the channel of the context listening on it. */
  readonly #listeners = new Map<number, MessagePort>();
  /** #udp maps a bound UDP port to the channel of the context that bound it. */
  readonly #udp = new Map<number, MessagePort>();
  readonly #channels = new Set<MessagePort>();
  #closed = false;

  /** ports lists the ports listened on now. */
  get ports(): number[] {
    return [...this.#listeners.keys()].sort((a, b) => a - b);
  }

  /** attach opens a channel for one context and returns the context's end (to transfer to its thread). */
  attach(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.#channels.add(port1);
    port1.on('message', (m: LoopbackRequest) => this.#handle(port1, m));
    port1.on('close', () => this.#detach(port1));
    port1.unref();
    if (this.#closed) port1.close();
    return port2;
  }

  #detach(channel: MessagePort): void {
    this.#channels.delete(channel);
    for (const [port, owner] of this.#listeners) if (owner === channel) this.#listeners.delete(port);
    for (const [port, owner] of this.#udp) if (owner === channel) this.#udp.delete(port);
  }

  #reply(channel: MessagePort, reply: LoopbackReply, transfer: MessagePort[] = []): void {
    channel.postMessage(reply, transfer);
  }

  #handle(channel: MessagePort, m: LoopbackRequest): void {
    if (m.t === 'udp-bind' || m.t === 'udp-unbind' || m.t === 'udp-send') {
      this.#handleUdp(channel, m);
      return;
    }
    if (m.t === 'unlisten') {
      if (this.#listeners.get(m.port) === channel) this.#listeners.delete(m.port);
      return;
    }
    if (m.t === 'listen') {
      const port = m.port === 0 ? this.#freePort() : m.port;
      if (port === undefined || this.#listeners.size >= MAX_LISTENERS) {
        this.#reply(channel, { t: 'refused', id: m.id, code: 'address-not-bindable' });
      } else if (this.#listeners.has(port)) {
        this.#reply(channel, { t: 'refused', id: m.id, code: 'address-in-use' });
      } else {
        this.#listeners.set(port, channel);
        this.#reply(channel, { t: 'listening', id: m.id, port });
      }
      return;
    }
    const listener = this.#listeners.get(m.port);
    if (!listener) {
      this.#reply(channel, { t: 'refused', id: m.id, code: 'connection-refused' });
      return;
    }
    const { port1, port2 } = new MessageChannel();
    this.#reply(listener, { t: 'accept', port: m.port, conn: port2 }, [port2]);
    this.#reply(channel, { t: 'connected', id: m.id, conn: port1 }, [port1]);
  }

  /** #handleUdp binds UDP ports and relays datagrams between them (a datagram to no one is dropped). */
  #handleUdp(channel: MessagePort, m: Extract<LoopbackRequest, { t: `udp-${string}` }>): void {
    if (m.t === 'udp-unbind') {
      if (this.#udp.get(m.port) === channel) this.#udp.delete(m.port);
    } else if (m.t === 'udp-bind') {
      const port = m.port === 0 ? this.#freePort(this.#udp) : m.port;
      if (port === undefined || this.#udp.size >= MAX_LISTENERS) {
        this.#reply(channel, { t: 'refused', id: m.id, code: 'address-not-bindable' });
      } else if (this.#udp.has(port)) {
        this.#reply(channel, { t: 'refused', id: m.id, code: 'address-in-use' });
      } else {
        this.#udp.set(port, channel);
        this.#reply(channel, { t: 'udp-bound', id: m.id, port });
      }
    } else if (this.#udp.get(m.from) === channel) {
      this.#udp
        .get(m.to)
        ?.postMessage({ t: 'udp-recv', port: m.to, from: m.from, data: m.data } satisfies LoopbackReply);
    }
  }

  #freePort(taken: ReadonlyMap<number, unknown> = this.#listeners): number | undefined {
    for (let p = EPHEMERAL_PORTS.last; p >= EPHEMERAL_PORTS.first; p--) if (!taken.has(p)) return p;
    return undefined;
  }

  /** close ends every channel: listeners are forgotten, later connects find nothing. */
  close(): void {
    this.#closed = true;
    for (const channel of this.#channels) channel.close();
    this.#channels.clear();
    this.#listeners.clear();
    this.#udp.clear();
  }
}
