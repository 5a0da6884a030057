/**
 * The guest side of a workload's virtual loopback: `loopbackClient` asks the workload's hub
 * (main thread) to listen on or connect to a port of the workload's own 127.0.0.1, and
 * `portConn` turns the MessagePort of an established connection into a Conn. No real port
 * is ever opened, and no other workload can reach it.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ConnMessage, LoopbackReply, LoopbackRequest } from '../../../channel/loopback.js';
import type { Conn, ConnEvents } from './conn.js';

/** Listener is a port the service listens on: the connections waiting to be accepted. */
export interface Listener {
  readonly port: number;
  /** next takes the oldest waiting connection. */
  next(): Conn | undefined;
  /** pending says whether a connection waits. */
  pending(): boolean;
  /** onChange is called when a connection arrives. */
  onChange(callback: () => void): void;
  close(): void;
}

/** UdpEndpoint is a UDP port bound on the workload's virtual loopback. */
export interface UdpEndpoint {
  readonly port: number;
  /** send sends a datagram to another port of the loopback (dropped when no one has it bound). */
  send(to: number, data: Uint8Array): void;
  close(): void;
}

/** Loopback is a component context's view of its workload's virtual loopback. */
export interface Loopback {
  /** listen starts listening on `port` (0: any free port); rejects with 'address-in-use'. */
  listen(port: number): Promise<Listener>;
  /** connect reaches a listening port; rejects with 'connection-refused'. */
  connect(port: number): Promise<Conn>;
  /** bindUdp binds a UDP port (0: any free one); datagrams to it go to `deliver`. Rejects with 'address-in-use'. */
  bindUdp(port: number, deliver: (from: number, data: Uint8Array) => void): Promise<UdpEndpoint>;
  /** close forgets every listener (the context is closing). */
  close(): void;
}

/** MAX_PENDING_ACCEPTS bounds the connections waiting on one listener; more are refused. */
const MAX_PENDING_ACCEPTS = 128;

/**
 * portConn wraps one end of a loopback connection. Bytes sent count as queued until the peer
 * acknowledges them, which it does at once unless its reader is paused (its buffer is full):
 * so the sender's streams (which grant writes only below their buffer bound) stop too.
 */
export function portConn(port: MessagePort): Conn {
  let events: ConnEvents | undefined;
  let unacked = 0;
  let owed = 0;
  let paused = false;
  let closed = false;
  const post = (m: ConnMessage, transfer?: ArrayBuffer[]) => {
    if (!closed) port.postMessage(m, transfer);
  };
  port.on('message', (m: ConnMessage) => {
    if (!events) return;
    if (m.t === 'data') {
      if (paused) owed += m.bytes.byteLength;
      else post({ t: 'ack', n: m.bytes.byteLength });
      events.data(m.bytes);
    } else if (m.t === 'ack') {
      unacked = Math.max(0, unacked - m.n);
      events.drain();
    } else if (m.t === 'end') events.end();
    else {
      closed = true;
      port.close();
      events.end();
    }
  });
  port.on('close', () => {
    closed = true;
    events?.end();
  });
  return {
    attach(e) {
      events = e;
    },
    write(bytes) {
      const copy = bytes.slice();
      unacked += copy.byteLength;
      post({ t: 'data', bytes: copy }, [copy.buffer as ArrayBuffer]);
    },
    get writableLength() {
      return unacked;
    },
    end: () => post({ t: 'end' }),
    destroy() {
      post({ t: 'close' });
      closed = true;
      port.close();
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      if (owed > 0) post({ t: 'ack', n: owed });
      owed = 0;
    },
  };
}

/** loopbackClient talks to the workload's hub over `hub`. */
export function loopbackClient(hub: MessagePort): Loopback {
  let nextId = 1;
  const waiting = new Map<number, { resolve(r: LoopbackReply): void }>();
  const listeners = new Map<number, { queue: MessagePort[]; notify: (() => void)[] }>();
  const udp = new Map<number, (from: number, data: Uint8Array) => void>();
  const ask = (request: LoopbackRequest & { id: number }) =>
    new Promise<LoopbackReply>((resolve) => {
      waiting.set(request.id, { resolve });
      hub.postMessage(request);
    });
  hub.on('message', (reply: LoopbackReply) => {
    if (reply.t === 'udp-recv') {
      udp.get(reply.port)?.(reply.from, reply.data);
      return;
    }
    if (reply.t === 'accept') {
      const listener = listeners.get(reply.port);
      if (!listener || listener.queue.length >= MAX_PENDING_ACCEPTS) {
        reply.conn.postMessage({ t: 'close' } satisfies ConnMessage);
        reply.conn.close();
        return;
      }
      listener.queue.push(reply.conn);
      for (const n of listener.notify) n();
      return;
    }
    const w = waiting.get(reply.id);
    waiting.delete(reply.id);
    w?.resolve(reply);
  });
  hub.unref();
  return {
    async listen(port) {
      const reply = await ask({ t: 'listen', id: nextId++, port });
      if (reply.t !== 'listening') throw reply.t === 'refused' ? reply.code : 'unknown';
      const state = { queue: [] as MessagePort[], notify: [] as (() => void)[] };
      listeners.set(reply.port, state);
      return {
        port: reply.port,
        next: () => {
          const conn = state.queue.shift();
          return conn ? portConn(conn) : undefined;
        },
        pending: () => state.queue.length > 0,
        onChange: (callback) => state.notify.push(callback),
        close: () => {
          if (listeners.get(reply.port) !== state) return;
          listeners.delete(reply.port);
          for (const conn of state.queue.splice(0)) conn.close();
          hub.postMessage({ t: 'unlisten', port: reply.port } satisfies LoopbackRequest);
        },
      };
    },
    async connect(port) {
      const reply = await ask({ t: 'connect', id: nextId++, port });
      if (reply.t !== 'connected') throw reply.t === 'refused' ? reply.code : 'unknown';
      return portConn(reply.conn);
    },
    async bindUdp(port, deliver) {
      const reply = await ask({ t: 'udp-bind', id: nextId++, port });
      if (reply.t !== 'udp-bound') throw reply.t === 'refused' ? reply.code : 'unknown';
      udp.set(reply.port, deliver);
      return {
        port: reply.port,
        send: (to, data) => {
          const copy = data.slice();
          hub.postMessage({ t: 'udp-send', from: reply.port, to, data: copy } satisfies LoopbackRequest, [
            copy.buffer as ArrayBuffer,
          ]);
        },
        close: () => {
          if (udp.get(reply.port) !== deliver) return;
          udp.delete(reply.port);
          hub.postMessage({ t: 'udp-unbind', port: reply.port } satisfies LoopbackRequest);
        },
      };
    },
    close() {
      for (const port of [...listeners.keys()]) hub.postMessage({ t: 'unlisten', port } satisfies LoopbackRequest);
      for (const port of [...udp.keys()]) hub.postMessage({ t: 'udp-unbind', port } satisfies LoopbackRequest);
      listeners.clear();
      udp.clear();
      hub.close();
    },
  };
}
