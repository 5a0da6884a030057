/**
 * The `wasi:io` streams of a connected TCP socket, over a Conn, with bounded buffers:
 * at most `bufferBytes` received and not yet read by the guest (past it the peer is paused)
 * and at most `bufferBytes` written and not yet sent (checkWrite grants no more). Blocking
 * reads and writes return Promises (the engine transpiles stream methods for JSPI).
 */
import { inputStream, ioErrorCreate, outputStream, type Pollable, pollable } from '../../../shared/shim.js';
import type { Conn } from './conn.js';

/** DEFAULT_BUFFER_BYTES bounds each direction's buffer of one socket: 64 KiB. */
export const DEFAULT_BUFFER_BYTES = 64 * 1024;

/** Changes lets readers wait for the next change of a socket's state. */
export class Changes {
  #waiters: (() => void)[] = [];

  /** next resolves at the next notify. */
  next(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** notify wakes every waiter. */
  notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** pollable is ready while `ready()` holds and waits for changes until it does. */
  pollable(ready: () => boolean): Pollable {
    const wait = async () => {
      while (!ready()) await this.next();
    };
    return pollable({ ready, wait });
  }
}

/** SocketStreams are a connected socket's input and output streams. */
export interface SocketStreams {
  readonly input: unknown;
  readonly output: unknown;
  /** shutdown ends receiving, sending or both (wasi:sockets shutdown-type). */
  shutdown(kind: 'receive' | 'send' | 'both'): void;
  /** close destroys the connection. */
  close(): void;
}

/** socketStreams builds the streams of a connection; `onClose` runs once when both are dropped or it fails. */
export function socketStreams(conn: Conn, bufferBytes: number, onClose: () => void): SocketStreams {
  const changes = new Changes();
  const chunks: Uint8Array[] = [];
  let buffered = 0;
  let ended = false;
  let failure: string | undefined;
  let paused = false;
  let sendClosed = false;
  let dropped = 0;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    conn.destroy();
    onClose();
    changes.notify();
  };
  conn.attach({
    data(bytes) {
      if (ended) return;
      chunks.push(bytes.slice());
      buffered += bytes.byteLength;
      if (buffered >= bufferBytes && !paused) {
        paused = true;
        conn.pause();
      }
      changes.notify();
    },
    end() {
      ended = true;
      changes.notify();
    },
    error(code) {
      failure = code;
      ended = true;
      changes.notify();
    },
    drain: () => changes.notify(),
  });
  const take = (max: number): Uint8Array => {
    const out = new Uint8Array(Math.min(max, buffered));
    let at = 0;
    while (at < out.byteLength) {
      const head = chunks[0]!;
      const n = Math.min(head.byteLength, out.byteLength - at);
      out.set(head.subarray(0, n), at);
      at += n;
      if (n === head.byteLength) chunks.shift();
      else chunks[0] = head.subarray(n);
    }
    buffered -= out.byteLength;
    if (paused && buffered < bufferBytes / 2) {
      paused = false;
      conn.resume();
    }
    return out;
  };
  const fail = (): never => {
    throw { tag: 'last-operation-failed', val: ioErrorCreate(`connection failed: ${failure}`) };
  };
  const read = (len: bigint): Uint8Array => {
    if (buffered > 0) return take(Number(len > 1n << 30n ? 1n << 30n : len));
    if (failure !== undefined) fail();
    if (ended || closed) throw { tag: 'closed' };
    return new Uint8Array(0);
  };
  const readable = () => buffered > 0 || ended || closed;
  const input = inputStream({
    read,
    async blockingRead(len: bigint) {
      while (!readable()) await changes.next();
      return read(len);
    },
    subscribe: () => changes.pollable(readable),
    drop() {
      if (++dropped === 2) close();
    },
  });
  const room = () => Math.max(0, bufferBytes - conn.writableLength);
  const writable = () => room() > 0 || failure !== undefined || closed;
  const checkOpen = () => {
    if (failure !== undefined) fail();
    if (sendClosed || closed) throw { tag: 'closed' };
  };
  const flushed = async () => {
    while (conn.writableLength > 0 && failure === undefined && !closed) await changes.next();
    checkOpen();
  };
  const output = outputStream({
    checkWrite() {
      checkOpen();
      return BigInt(room());
    },
    write(buf: Uint8Array) {
      checkOpen();
      conn.write(buf.slice());
    },
    flush: () => checkOpen(),
    blockingFlush: flushed,
    async blockingWriteAndFlush(buf: Uint8Array) {
      checkOpen();
      while (room() < buf.byteLength && failure === undefined && !closed) await changes.next();
      checkOpen();
      conn.write(buf.slice());
      await flushed();
    },
    subscribe: () => changes.pollable(writable),
    drop() {
      if (++dropped === 2) close();
    },
  });
  return {
    input,
    output,
    shutdown(kind) {
      if (kind !== 'receive' && !sendClosed) {
        sendClosed = true;
        conn.end();
      }
      if (kind !== 'send') {
        ended = true;
        chunks.length = 0;
        buffered = 0;
      }
      changes.notify();
    },
    close,
  };
}
