/**
 * Stateless modules that both the main thread and the workload threads load, each its own
 * copy: `shim.ts`, the `wasi:io` stream and pollable classes (with clocks and random) of
 * preview2-shim that every WASI resource a guest sees must be built from — by the guest's
 * WASI core, by its wasi:http, and by plugins in the main thread.
 */
export {
  clocks,
  type IoModule,
  inputStream,
  io,
  outputStream,
  type Pollable,
  PollableClass,
  pollable,
  random,
  type StreamHandler,
} from './shim.js';
