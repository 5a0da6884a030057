/**
 * `wasi:sockets/udp` for one component context. A UDP socket binds only the workload's
 * virtual loopback (any loopback or unspecified address): datagrams to 127.0.0.0/8 or ::1
 * go through the workload's LoopbackHub to whichever of its contexts bound that port.
 * Datagrams to any other address are egress that the SocketPolicy must permit; they leave
 * from a real socket opened on first use, which takes in only datagrams from peers the
 * policy permits. Each socket holds a slot of the workload's ConnectionBudget and queues at
 * most MAX_QUEUED datagrams (UDP drops the rest).
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import type { Pollable } from '../../../shared/shim.js';
import {
  type Family,
  type IpSocketAddress,
  isLoopback,
  isUnspecified,
  socketAddressOf,
  socketText,
} from './addresses.js';
import type { ConnectionBudget } from './budget.js';
import type { Loopback, UdpEndpoint } from './loopback.js';
import type { SocketPolicy } from './policy.js';
import { Changes } from './streams.js';

/** MAX_QUEUED bounds the datagrams a socket holds for its guest. */
export const MAX_QUEUED = 64;
/** MAX_DATAGRAM is the largest UDP payload. */
const MAX_DATAGRAM = 65_507;
/** SEND_BATCH is how many datagrams check-send grants at a time. */
const SEND_BATCH = 64n;

/** UdpEnv is what the UDP sockets of one component context share. */
export interface UdpEnv {
  readonly policy: SocketPolicy;
  readonly budget: ConnectionBudget;
  readonly loopback?: Loopback | undefined;
  readonly live: Set<{ [Symbol.dispose](): void }>;
}

interface Datagram {
  data: Uint8Array;
  remoteAddress: IpSocketAddress;
}

type Remote = { host: string; port: number };

const wit = (code: string): never => {
  throw code;
};

/** udpImports builds `wasi:sockets/udp` and `udp-create-socket` for one component context. */
export function udpImports(env: UdpEnv): Record<string, Record<string, unknown>> {
  class UdpSocket {
    readonly #family: Family;
    readonly changes = new Changes();
    readonly queue: Datagram[] = [];
    #state: 'unbound' | 'binding' | 'bound' | 'closed' = 'unbound';
    #bindOutcome: { port: number } | { err: string } | undefined;
    #endpoint: UdpEndpoint | undefined;
    #real: DgramSocket | undefined;
    #remote: Remote | undefined;
    #slot = false;
    #host = '127.0.0.1';

    constructor(family: Family) {
      this.#family = family;
      env.live.add(this);
    }

    #deliver(host: string, port: number, data: Uint8Array): void {
      if (this.#remote && (this.#remote.host !== host || this.#remote.port !== port)) return;
      if (this.queue.length >= MAX_QUEUED) return;
      const remoteAddress = socketAddressOf(host, port);
      if (!remoteAddress) return;
      this.queue.push({ data, remoteAddress });
      this.changes.notify();
    }

    #target(address: IpSocketAddress): Remote {
      const parsed = socketText(address);
      if (!parsed || parsed.family !== this.#family) return wit('invalid-argument');
      return parsed;
    }

    startBind(_network: unknown, address: IpSocketAddress): void {
      if (this.#state !== 'unbound') wit('invalid-state');
      const local = this.#target(address);
      if (!isLoopback(local.host) && !isUnspecified(local.host)) wit('access-denied');
      if (!env.budget.acquire()) wit('new-socket-limit');
      this.#slot = true;
      this.#host = this.#family === 'ipv4' ? '127.0.0.1' : '::1';
      this.#state = 'binding';
      const loopbackHost = this.#host;
      const bound = env.loopback
        ? env.loopback.bindUdp(local.port, (from, data) => this.#deliver(loopbackHost, from, data))
        : Promise.resolve<UdpEndpoint>({ port: local.port || 49152, send: () => undefined, close: () => undefined });
      bound.then(
        (endpoint) => {
          if (this.#state === 'closed') return endpoint.close();
          this.#endpoint = endpoint;
          this.#bindOutcome = { port: endpoint.port };
          this.changes.notify();
        },
        (err: unknown) => {
          this.#bindOutcome = { err: typeof err === 'string' ? err : 'unknown' };
          this.changes.notify();
        },
      );
    }

    finishBind(): void {
      if (this.#state !== 'binding') wit('not-in-progress');
      const outcome = this.#bindOutcome;
      if (!outcome) wit('would-block');
      if ('err' in outcome!) {
        this.#state = 'unbound';
        this.#release();
        wit(outcome.err);
      }
      this.#state = 'bound';
    }

    stream(remote: IpSocketAddress | undefined): [IncomingDatagramStream, OutgoingDatagramStream] {
      if (this.#state !== 'bound') wit('invalid-state');
      this.#remote = undefined;
      if (remote) {
        const target = this.#target(remote);
        if (target.port === 0 || isUnspecified(target.host)) wit('invalid-argument');
        if (!isLoopback(target.host) && !env.policy.permits(target.host, target.port)) wit('access-denied');
        this.#remote = target;
      }
      this.queue.length = 0;
      return [new IncomingDatagramStream(this), new OutgoingDatagramStream(this)];
    }

    /** sendOne sends one datagram, or throws the WIT error that stops the batch. */
    sendOne(d: { data: Uint8Array; remoteAddress?: IpSocketAddress | undefined }): void {
      if (this.#state !== 'bound') wit('invalid-state');
      if (d.data.byteLength > MAX_DATAGRAM) wit('datagram-too-large');
      const to = d.remoteAddress ? this.#target(d.remoteAddress) : this.#remote;
      if (!to) throw 'invalid-argument';
      if (this.#remote && (to.host !== this.#remote.host || to.port !== this.#remote.port)) wit('invalid-argument');
      if (to.port === 0 || isUnspecified(to.host)) wit('invalid-argument');
      if (isLoopback(to.host)) {
        this.#endpoint?.send(to.port, d.data);
        return;
      }
      if (!env.policy.permits(to.host, to.port)) wit('access-denied');
      this.#realSocket().send(d.data, to.port, to.host);
    }

    #realSocket(): DgramSocket {
      if (this.#real) return this.#real;
      const socket = createSocket(this.#family === 'ipv4' ? 'udp4' : 'udp6');
      // Only replies from peers the workload may reach get in.
      socket.on('message', (data, info) => {
        if (env.policy.permits(info.address, info.port)) this.#deliver(info.address.toLowerCase(), info.port, data);
      });
      socket.on('error', () => undefined);
      this.#real = socket;
      return socket;
    }

    localAddress(): IpSocketAddress {
      if (this.#state !== 'bound' || !this.#endpoint) return wit('invalid-state');
      return socketAddressOf(this.#host, this.#endpoint.port)!;
    }

    remoteAddress(): IpSocketAddress {
      if (!this.#remote) return wit('invalid-state');
      return socketAddressOf(this.#remote.host, this.#remote.port)!;
    }

    addressFamily(): Family {
      return this.#family;
    }

    unicastHopLimit = (): number => 64;
    setUnicastHopLimit = (value: number): void => void (value <= 0 && wit('invalid-argument'));
    receiveBufferSize = (): bigint => BigInt(MAX_QUEUED * MAX_DATAGRAM);
    setReceiveBufferSize = (value: bigint): void => void (value <= 0n && wit('invalid-argument'));
    sendBufferSize = (): bigint => BigInt(MAX_DATAGRAM);
    setSendBufferSize = (value: bigint): void => void (value <= 0n && wit('invalid-argument'));

    subscribe(): Pollable {
      return this.changes.pollable(() => this.#state !== 'binding' || this.#bindOutcome !== undefined);
    }

    #release(): void {
      if (!this.#slot) return;
      this.#slot = false;
      env.budget.release();
    }

    [Symbol.dispose](): void {
      env.live.delete(this);
      this.#state = 'closed';
      this.#endpoint?.close();
      this.#real?.close();
      this.#release();
      this.changes.notify();
    }
  }

  class IncomingDatagramStream {
    readonly #socket: UdpSocket | undefined;

    constructor(socket?: UdpSocket) {
      this.#socket = socket;
    }

    receive(max: bigint): Datagram[] {
      const n = Number(max > BigInt(MAX_QUEUED) ? BigInt(MAX_QUEUED) : max);
      return this.#socket ? this.#socket.queue.splice(0, n) : [];
    }

    subscribe(): Pollable {
      const socket = this.#socket;
      return socket ? socket.changes.pollable(() => socket.queue.length > 0) : new Changes().pollable(() => true);
    }
  }

  class OutgoingDatagramStream {
    readonly #socket: UdpSocket | undefined;

    constructor(socket?: UdpSocket) {
      this.#socket = socket;
    }

    checkSend(): bigint {
      return SEND_BATCH;
    }

    send(datagrams: { data: Uint8Array; remoteAddress?: IpSocketAddress | undefined }[]): bigint {
      if (BigInt(datagrams.length) > SEND_BATCH) wit('invalid-argument');
      let sent = 0n;
      for (const d of datagrams) {
        try {
          this.#socket?.sendOne(d);
        } catch (err) {
          if (sent === 0n) throw err;
          return sent;
        }
        sent++;
      }
      return sent;
    }

    subscribe(): Pollable {
      return new Changes().pollable(() => true);
    }
  }

  return {
    'wasi:sockets/udp-create-socket': {
      createUdpSocket: (family: Family) => {
        if (family !== 'ipv4' && family !== 'ipv6') throw 'not-supported';
        return new UdpSocket(family);
      },
    },
    'wasi:sockets/udp': { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
  };
}
