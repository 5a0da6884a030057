/**
 * Bodies of `wasi:http/types`: `incoming-body` over an input-stream (buffered bytes or a
 * fetch response body), `future-trailers` (never any trailers), and `outgoing-body`,
 * which collects what the guest writes until `finish`.
 */
import { inputStream, outputStream, pollable } from '../../shared/shim.js';
import { type ErrorCode, fetchErrorCode, internalError, streamError } from './errors.js';
import type { Fields } from './fields.js';

const CLOSED = Object.freeze({ tag: 'closed' });
const EMPTY = new Uint8Array(0);
/** PERMIT is what `check-write` grants: bodies are buffered, so one large permit saves guest round trips. */
const PERMIT = 1n << 24n;

/** IncomingBody is the `incoming-body` resource; its stream is created on first use. */
export class IncomingBody {
  #open: (() => unknown) | undefined;
  #discard: (() => void) | undefined;

  constructor(open: () => unknown, discard?: () => void) {
    this.#open = open;
    this.#discard = discard;
  }

  /** stream returns the body's input-stream, at most once. */
  stream(): unknown {
    const open = this.#open;
    if (open === undefined) throw undefined;
    this.#open = undefined;
    this.#discard = undefined;
    return open();
  }

  /** finish is `[static]incoming-body.finish`: the trailers, of which there are none. */
  static finish(body: IncomingBody): FutureTrailers {
    body[Symbol.dispose]();
    return new FutureTrailers();
  }

  [Symbol.dispose](): void {
    this.#open = undefined;
    const discard = this.#discard;
    this.#discard = undefined;
    discard?.();
  }
}

/** FutureTrailers is the `future-trailers` resource: ready at once, with no trailers. */
export class FutureTrailers {
  #taken = false;

  subscribe(): unknown {
    return pollable();
  }

  get(): unknown {
    if (this.#taken) return { tag: 'err', val: undefined };
    this.#taken = true;
    return { tag: 'ok', val: { tag: 'ok', val: undefined } };
  }

  [Symbol.dispose](): void {}
}

/** bufferedStream is an input-stream over `bytes`: reads never wait, `closed` at the end. */
export function bufferedStream(bytes: Uint8Array): unknown {
  let offset = 0;
  const read = (len: bigint): Uint8Array => {
    const left = bytes.length - offset;
    if (left <= 0) throw CLOSED;
    const n = len >= BigInt(left) ? left : Number(len);
    const chunk = bytes.subarray(offset, offset + n);
    offset += n;
    return chunk;
  };
  const skip = (len: bigint): bigint => BigInt(read(len).length);
  return inputStream({ read, blockingRead: read, skip, blockingSkip: skip, subscribe: () => pollable() });
}

/**
 * readableStream is an input-stream over a fetch response body, read a chunk at a time:
 * `read` returns what has arrived (maybe nothing), `blocking-read` waits for the next chunk.
 */
export function readableStream(body: ReadableStream<Uint8Array>): unknown {
  const reader = body.getReader();
  let chunk: Uint8Array = EMPTY;
  let offset = 0;
  let done = false;
  let failure: unknown;
  let pending: Promise<void> | undefined;
  const fill = (): Promise<void> => {
    pending ??= reader.read().then(
      (r) => {
        pending = undefined;
        if (r.done) done = true;
        else {
          chunk = r.value;
          offset = 0;
        }
      },
      (err: unknown) => {
        pending = undefined;
        done = true;
        const code = fetchErrorCode(err, undefined);
        failure = { tag: 'last-operation-failed', val: streamError(code, `response body: ${String(err)}`) };
      },
    );
    return pending;
  };
  const ready = () => offset < chunk.length || done;
  const read = (len: bigint): Uint8Array => {
    const left = chunk.length - offset;
    if (left > 0) {
      const n = len >= BigInt(left) ? left : Number(len);
      const out = chunk.subarray(offset, offset + n);
      offset += n;
      return out;
    }
    if (failure !== undefined) {
      const f = failure;
      failure = undefined;
      throw f;
    }
    if (done) throw CLOSED;
    void fill();
    return EMPTY;
  };
  const blockingRead = (len: bigint): Uint8Array | Promise<Uint8Array> =>
    ready() || len === 0n ? read(len) : fill().then(() => blockingRead(len));
  return inputStream({
    read,
    blockingRead,
    skip: (len) => BigInt(read(len).length),
    blockingSkip: (len) => {
      const r = blockingRead(len);
      return r instanceof Promise ? r.then((b) => BigInt(b.length)) : BigInt(r.length);
    },
    subscribe: () => pollable({ ready, wait: () => (ready() ? Promise.resolve() : fill()) }),
    drop() {
      if (!done) {
        done = true;
        reader.cancel().catch(() => {});
      }
      chunk = EMPTY;
    },
  });
}

/** BodyState is where an outgoing body is: being written, finished, or dropped unfinished. */
export type BodyState = 'open' | 'finished' | 'dropped';

/**
 * MAX_BODY_BYTES bounds a buffered outgoing body (64 MiB): past it the body is dropped and
 * the guest's stream closed, so a guest cannot exhaust the host's memory by writing forever.
 */
export const MAX_BODY_BYTES = 64 * 2 ** 20;

/** OutgoingBody is the `outgoing-body` resource of a request or response: written chunks are kept until `finish`. */
export class OutgoingBody {
  _state: BodyState = 'open';
  _chunks: Uint8Array[] = [];
  _size = 0;
  /** onEnd is called once, when the body is finished or dropped (with the error of a dropped body). */
  _onEnd: ((error?: ErrorCode) => void) | undefined;
  #writeTaken = false;
  readonly #forRequest: boolean;
  readonly #expected: bigint | undefined;

  constructor(forRequest: boolean, expected: bigint | undefined) {
    this.#forRequest = forRequest;
    this.#expected = expected;
  }

  /** write returns the body's output-stream, at most once. */
  write(): unknown {
    if (this.#writeTaken) throw undefined;
    this.#writeTaken = true;
    const push = (buf: Uint8Array): void => {
      if (this._state !== 'open') throw CLOSED;
      if (buf.length === 0) return;
      if (this._size + buf.length > MAX_BODY_BYTES) {
        this.#end('dropped', internalError(`body larger than ${MAX_BODY_BYTES} bytes`));
        throw CLOSED;
      }
      this._chunks.push(buf);
      this._size += buf.length;
    };
    return outputStream({
      checkWrite: () => {
        if (this._state !== 'open') throw CLOSED;
        return PERMIT;
      },
      write: push,
      blockingWriteAndFlush: push,
      flush() {},
      blockingFlush() {},
      subscribe: () => pollable(),
    });
  }

  /**
   * finish is `[static]outgoing-body.finish`: it fails when the size written differs from
   * a `content-length` the headers declared. Trailers are accepted and discarded.
   */
  static finish(body: OutgoingBody, trailers: Fields | undefined): void {
    trailers?.[Symbol.dispose]();
    if (body._state !== 'open') throw internalError('outgoing body already finished');
    const expected = body.#expected;
    if (expected !== undefined && expected !== BigInt(body._size)) {
      const size = BigInt(body._size);
      const error: ErrorCode = body.#forRequest
        ? { tag: 'HTTP-request-body-size', val: size }
        : { tag: 'HTTP-response-body-size', val: size };
      body.#end('dropped', error);
      throw error;
    }
    body.#end('finished', undefined);
  }

  /** bytes returns everything written, as one array. */
  _bytes(): Uint8Array {
    const chunks = this._chunks;
    if (chunks.length === 1) return chunks[0]!;
    if (chunks.length === 0) return EMPTY;
    const out = new Uint8Array(this._size);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  [Symbol.dispose](): void {
    if (this._state === 'open') this.#end('dropped', internalError('outgoing body dropped without finish'));
  }

  #end(state: BodyState, error: ErrorCode | undefined): void {
    this._state = state;
    const onEnd = this._onEnd;
    this._onEnd = undefined;
    onEnd?.(state === 'finished' ? undefined : error);
  }
}
