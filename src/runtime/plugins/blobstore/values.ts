/**
 * The byte plumbing behind `incoming-value` and `outgoing-value`: an input stream that
 * reads an object's chunks one at a time, and a collector behind an output stream. All
 * streams are the shared `wasi:io` classes from the shim.
 */
import { inputStream, outputStream, pollable } from '../../shared/shim.js';
import type { Chunks } from './backend.js';

/** WRITE_PERMIT is how many bytes an outgoing-value stream accepts per `check-write`. */
export const WRITE_PERMIT = 1n << 20n;

/** concat joins chunks into one array (the one copy `consume-sync` cannot avoid). */
export async function concat(chunks: Chunks, size: bigint): Promise<Uint8Array> {
  const out = new Uint8Array(Number(size));
  let offset = 0;
  for await (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return offset === out.length ? out : out.subarray(0, offset);
}

/**
 * chunkStream returns a `wasi:io` input-stream over `chunks`. For a synchronous source
 * (an array) every read completes at once; for an async source `blocking-read` waits for
 * the next chunk and `read` returns what is buffered (possibly nothing).
 */
export function chunkStream(chunks: Chunks): unknown {
  const sync = Symbol.iterator in chunks ? (chunks as Iterable<Uint8Array>)[Symbol.iterator]() : undefined;
  const async = sync ? undefined : (chunks as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  let current: Uint8Array = new Uint8Array(0);
  let done = false;
  let pending: Promise<void> | undefined;

  const take = (len: bigint): Uint8Array => {
    const n = Math.min(Number(len), current.length);
    const out = current.subarray(0, n);
    current = current.subarray(n);
    return out;
  };
  const advance = (next: IteratorResult<Uint8Array>) => {
    if (next.done) done = true;
    else current = next.value;
  };
  const fill = (): Promise<void> | undefined => {
    while (current.length === 0 && !done && sync) advance(sync.next());
    if (current.length > 0 || done || !async) return undefined;
    pending ??= async
      .next()
      .then(advance, () => {
        done = true;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  const closed = () => {
    throw { tag: 'closed' };
  };

  return inputStream({
    read(len) {
      void fill();
      if (current.length > 0) return take(len);
      return done ? closed() : new Uint8Array(0);
    },
    blockingRead(len) {
      const wait = fill();
      if (!wait) return current.length > 0 ? take(len) : closed();
      return (async () => {
        while (current.length === 0 && !done) await fill();
        return current.length > 0 ? take(len) : closed();
      })();
    },
    subscribe() {
      return pollable(fill());
    },
    drop() {
      done = true;
      void async?.return?.();
    },
  });
}

/** BodyCollector gathers what a guest writes to an outgoing-value's stream. */
export class BodyCollector {
  /** chunks are the written chunks, in order. */
  readonly chunks: Uint8Array[] = [];
  /** taken tells whether the stream was handed out. */
  taken = false;
  /** complete tells whether the guest dropped the stream, so no more bytes come. */
  complete = false;

  /** stream hands out the output stream (once). */
  stream(): unknown {
    this.taken = true;
    const write = (buf: Uint8Array) => {
      if (buf.length > 0) this.chunks.push(buf.slice());
    };
    return outputStream({
      checkWrite: () => WRITE_PERMIT,
      write,
      blockingWriteAndFlush: write,
      flush() {},
      blockingFlush() {},
      drop: () => {
        this.complete = true;
      },
    });
  }
}
