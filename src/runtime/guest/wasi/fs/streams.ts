/**
 * `wasi:io/streams` over an open host file: read from, write at, or append to a
 * {@link FileHandle}. Failures become `last-operation-failed` errors whose code
 * `filesystem-error-code` can recover.
 */
import { fstatSync, readSync, writeSync } from 'node:fs';
import { inputStream, outputStream } from '../../../shared/shim.js';
import { streamError } from './errors.js';
import type { FileHandle } from './handle.js';

const MAX_CHUNK = 1 << 20;
const WRITE_PERMIT = BigInt(MAX_CHUNK);

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw streamError(err);
  }
}

/** writeAll writes every byte of `buf` to `fd` at `position`. */
export function writeAll(fd: number, buf: Uint8Array, position: number): number {
  let done = 0;
  while (done < buf.byteLength) {
    done += writeSync(fd, buf, done, buf.byteLength - done, position + done);
  }
  return done;
}

/** fileInputStream reads `handle` from byte `offset` on; it is `closed` at end of file. */
export function fileInputStream(handle: FileHandle, offset: bigint): unknown {
  handle.retain();
  let position = Number(offset);
  const read = (len: bigint): Uint8Array => {
    const want = Math.min(Number(len), MAX_CHUNK);
    if (want === 0) return new Uint8Array(0);
    const buf = new Uint8Array(want);
    const got = guard(() => readSync(handle.fd, buf, 0, want, position));
    if (got === 0) throw { tag: 'closed' };
    position += got;
    return buf.subarray(0, got);
  };
  const skip = (len: bigint): bigint => BigInt(read(len).byteLength);
  return inputStream({ read, blockingRead: read, skip, blockingSkip: skip, drop: () => handle.release() });
}

/**
 * fileOutputStream writes to `handle` from byte `offset` on, or at the end of the file
 * for every write when `offset` is `'append'`.
 */
export function fileOutputStream(handle: FileHandle, offset: bigint | 'append'): unknown {
  handle.retain();
  let position = offset === 'append' ? 0 : Number(offset);
  return outputStream({
    checkWrite: () => {
      guard(() => handle.fd);
      return WRITE_PERMIT;
    },
    write: (buf: Uint8Array) => {
      guard(() => {
        const fd = handle.fd;
        const at = offset === 'append' ? Number(fstatSync(fd).size) : position;
        position = at + writeAll(fd, buf, at);
      });
    },
    flush: () => {},
    drop: () => handle.release(),
  });
}
