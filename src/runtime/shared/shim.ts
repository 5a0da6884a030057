/**
 * shim loads the pure-JS pieces of `@bytecodealliance/preview2-shim` that Skiff reuses:
 * the stream/pollable resource classes of `wasi:io`, clocks, random and the browser
 * `wasi:http` types. Its package exports map hides the browser build from Node, so the
 * files are loaded by path. Every WASI resource a host hands to a guest must be an
 * instance of these classes, so all plugins create streams through this module.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
// The exports map sends every subpath (even `package.json`) to the Node build: resolve the
// package entry (`dist/nodejs/index.js`) and step over to its sibling `dist/browser`.
const shimRoot = join(dirname(require.resolve('@bytecodealliance/preview2-shim')), '..', 'browser');

async function load<T>(file: string): Promise<T> {
  return (await import(pathToFileURL(join(shimRoot, file)).href)) as T;
}

/** StreamHandler implements one input or output stream for the shim's stream classes. */
export interface StreamHandler {
  read?(this: unknown, len: bigint): Uint8Array;
  blockingRead?(this: unknown, len: bigint): Uint8Array | Promise<Uint8Array>;
  skip?(this: unknown, len: bigint): bigint;
  blockingSkip?(this: unknown, len: bigint): bigint | Promise<bigint>;
  checkWrite?(this: unknown): bigint;
  write?(this: unknown, buf: Uint8Array): void;
  blockingWriteAndFlush?(this: unknown, buf: Uint8Array): void | Promise<void>;
  flush?(this: unknown): void;
  blockingFlush?(this: unknown): void | Promise<void>;
  subscribe?(this: unknown): Pollable;
  drop?(this: unknown): void;
}

/** Pollable is the shim's `wasi:io/poll` pollable resource. */
export interface Pollable {
  ready(): boolean;
  block(): Promise<void> | void;
}

/** IoModule is the shape of the shim's `io.js`. */
export interface IoModule {
  inputStreamCreate(handler: StreamHandler): unknown;
  outputStreamCreate(handler: StreamHandler): unknown;
  pollableCreate(source?: Promise<unknown> | { ready(): boolean; wait(): Promise<unknown> }): Pollable;
  ioErrorCreate(message: string): unknown;
  error: Record<string, unknown>;
  streams: Record<string, unknown>;
  poll: Record<string, unknown>;
}

/** io is the shared `wasi:io` implementation (streams, poll, error). */
export const io = await load<IoModule>('io.js');
/** clocks is the shim's `wasi:clocks` implementation (monotonic-clock, wall-clock). */
export const clocks = await load<{ monotonicClock: Record<string, unknown>; wallClock: Record<string, unknown> }>(
  'clocks.js',
);
/** random is the shim's `wasi:random` implementation (random, insecure, insecure-seed). */
export const random = await load<Record<'random' | 'insecure' | 'insecureSeed', Record<string, unknown>>>('random.js');
/** inputStream creates a `wasi:io/streams` input-stream from a handler. */
export const inputStream = io.inputStreamCreate;
/** outputStream creates a `wasi:io/streams` output-stream from a handler. */
export const outputStream = io.outputStreamCreate;
/** ioErrorCreate creates a `wasi:io/error` error resource with a debug message. */
export const ioErrorCreate = io.ioErrorCreate;
/** pollable creates a `wasi:io/poll` pollable, ready at once or when the promise settles. */
export const pollable = io.pollableCreate;

/** PollableClass is the shim's `wasi:io/poll` pollable resource class, the one jco checks handles against. */
export const PollableClass = io.poll.Pollable as unknown as { prototype: Pollable };

// `pollable.block` must return synchronously when the pollable is already ready: jco traps
// ("cannot block a synchronous task") when a JSPI import returns a Promise from a task that
// may not block, and a resolved Promise still costs a suspension. Callers that await the
// result are unaffected, since awaiting `undefined` behaves like awaiting a resolved Promise.
const shimBlock = PollableClass.prototype.block;
PollableClass.prototype.block = function block(this: Pollable): Promise<void> | void {
  if (this.ready()) return;
  return shimBlock.call(this);
};
