/**
 * Typed views of the WASI import fragment for this folder's tests: the guest calls the
 * same functions and methods, without a component in between.
 */
import type { Descriptor } from './fs/descriptor.js';
import type { WasiImports } from './index.js';

/** GuestInput is how a test reads a `wasi:io/streams` input-stream. */
export interface GuestInput {
  read(len: bigint): Uint8Array;
  blockingRead(len: bigint): Uint8Array;
  [Symbol.dispose](): void;
}

/** GuestOutput is how a test writes a `wasi:io/streams` output-stream. */
export interface GuestOutput {
  checkWrite(): bigint;
  write(buf: Uint8Array): void;
  blockingWriteAndFlush(buf: Uint8Array): void;
  flush(): void;
  blockingFlush(): void;
  [Symbol.dispose](): void;
}

/** preopensOf returns the guest's preopened descriptors with their guest paths. */
export function preopensOf(wasi: WasiImports): [Descriptor, string][] {
  const fn = wasi['wasi:filesystem/preopens'].getDirectories as () => [Descriptor, string][];
  return fn();
}

/** rootOf returns the first preopen's descriptor. */
export function rootOf(wasi: WasiImports): Descriptor {
  return preopensOf(wasi)[0]![0];
}

/** wasiError runs `fn` and returns the WIT error value it throws, or fails when it returns or traps. */
export function wasiError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) throw err;
    return err;
  }
  throw new Error('expected a WIT error, got a result');
}

/** text encodes a string as UTF-8 bytes. */
export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
