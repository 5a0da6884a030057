/**
 * Conn is the byte connection under a connected TCP socket's streams: a real node:net
 * socket (egress) or a channel of the workload's virtual loopback. `netConn` adapts the first.
 */
import type { Socket } from 'node:net';

/** ConnEvents are what a Conn reports. */
export interface ConnEvents {
  data(bytes: Uint8Array): void;
  /** end: the peer will send nothing more. */
  end(): void;
  /** error: the connection failed (`code` is a wasi:sockets error-code). */
  error(code: string): void;
  /** drain: bytes queued for sending went out. */
  drain(): void;
}

/** Conn is one established byte connection. */
export interface Conn {
  /** attach sets where events go (once). */
  attach(events: ConnEvents): void;
  write(bytes: Uint8Array): void;
  /** writableLength is the number of bytes queued and not yet sent. */
  readonly writableLength: number;
  /** end sends no more bytes (half-close). */
  end(): void;
  /** destroy closes both directions at once. */
  destroy(): void;
  /** pause stops reading from the peer until resume (bounded buffers). */
  pause(): void;
  resume(): void;
}

/** errorCodeOf maps a node:net error to a wasi:sockets error-code. */
export function errorCodeOf(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection-refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection-reset';
    case 'ECONNABORTED':
      return 'connection-aborted';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
      return 'remote-unreachable';
    default:
      return 'unknown';
  }
}

/** netConn wraps a connected node:net socket. */
export function netConn(socket: Socket): Conn {
  return {
    attach(events) {
      socket.on('data', (chunk: Buffer) =>
        events.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
      );
      socket.on('end', () => events.end());
      socket.on('error', (err) => events.error(errorCodeOf(err)));
      socket.on('drain', () => events.drain());
      socket.on('close', () => events.end());
    },
    write: (bytes) => void socket.write(bytes),
    get writableLength() {
      return socket.writableLength;
    },
    end: () => void socket.end(),
    destroy: () => void socket.destroy(),
    pause: () => void socket.pause(),
    resume: () => void socket.resume(),
  };
}
