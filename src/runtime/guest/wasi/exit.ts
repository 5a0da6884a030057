/**
 * The error a guest's `wasi:cli/exit` call raises. It unwinds the guest (the instance is
 * finished afterwards) and lets the engine tell an exit apart from a trap.
 */
import { SkiffError } from '../../errors.js';

/** WasiExitError means the guest called `wasi:cli/exit`; `exitCode` 0 is a successful exit. */
export class WasiExitError extends SkiffError {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super('SKIFF_WASI_EXIT', `guest exited with code ${exitCode}`);
    this.exitCode = exitCode;
  }
}

/** isWasiExit tells whether `err` (or its cause chain) is a guest exit. */
export function isWasiExit(err: unknown): err is WasiExitError {
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (e instanceof WasiExitError) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
