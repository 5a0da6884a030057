/**
 * Helpers every capability plugin uses: turning backend failures into WIT error values,
 * guarding a binding after it closed, and scoping data to a workload's namespace.
 */
import type { BindContext } from '../plugin.js';

/** messageOf returns a readable message for any thrown value. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : String(err);
}

/** CLOSED_MESSAGE is the error text a guest sees when it calls a binding after its workload stopped. */
export const CLOSED_MESSAGE = 'the workload is stopping; the capability is closed';

/**
 * Lifecycle tracks whether a binding is still open; calls after `close` (or after the
 * workload's signal aborts) fail with a WIT error value instead of reaching the backend.
 */
export class Lifecycle {
  #closed = false;
  readonly #signal: AbortSignal;

  constructor(signal: AbortSignal) {
    this.#signal = signal;
  }

  /** closed tells whether the binding was closed or its workload stopped. */
  get closed(): boolean {
    return this.#closed || this.#signal.aborted;
  }

  /** close marks the binding closed. */
  close(): void {
    this.#closed = true;
  }
}

/** scopeOf returns the data scope of a binding: the workload's namespace. */
export function scopeOf(ctx: BindContext): string {
  return ctx.workload.namespace;
}

/** only keeps the entries of a fragment whose interface was granted. */
export function only(
  ctx: BindContext,
  fragment: Record<string, Record<string, unknown>>,
): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(fragment).filter(([iface]) => ctx.interfaces.has(iface)));
}
