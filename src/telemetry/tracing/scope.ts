/**
 * TraceScope carries the span a piece of work belongs to across its awaits, so that code far
 * from where the span began (a plugin publishing a message, an outgoing HTTP request) can
 * find it without every function between passing it along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { TraceParent } from './records.js';

/**
 * TraceScope is an async-context slot for the current span (a TraceParent, or a richer `T`
 * that also says where its children's spans go). One per thread, passed as an argument.
 */
export class TraceScope<T extends TraceParent = TraceParent> {
  readonly #storage = new AsyncLocalStorage<T>();

  /** run calls `fn` with `parent` as the current span (none: `fn` runs outside any span). */
  run<R>(parent: T | undefined, fn: () => R): R {
    return parent === undefined ? this.#storage.exit(fn) : this.#storage.run(parent, fn);
  }

  /** current returns the span the running code belongs to, if any. */
  current(): T | undefined {
    return this.#storage.getStore();
  }
}
