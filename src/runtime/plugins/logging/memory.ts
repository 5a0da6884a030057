/**
 * The in-memory logging backend: a bounded ring of the most recent guest log records, for
 * `skiff dev` and for status queries. Old records are dropped once the ring is full.
 */
import type { LogBackend, LogRecord } from './backend.js';

/** DEFAULT_CAPACITY is how many records the memory backend keeps unless told otherwise. */
export const DEFAULT_CAPACITY = 1000;

/** MemoryLogBackend keeps the most recent guest log records in memory. */
export class MemoryLogBackend implements LogBackend {
  readonly #capacity: number;
  #records: LogRecord[] = [];

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = Math.max(1, capacity);
  }

  write(record: LogRecord): void {
    this.#records.push(record);
    if (this.#records.length > this.#capacity) this.#records = this.#records.slice(-this.#capacity);
  }

  /** recent returns the kept records, oldest first, optionally only those of one namespace/workload. */
  recent(filter: { namespace?: string; workload?: string } = {}): LogRecord[] {
    return this.#records.filter(
      (r) =>
        (filter.namespace === undefined || r.namespace === filter.namespace) &&
        (filter.workload === undefined || r.workload === filter.workload),
    );
  }
}

/** memoryLogBackend returns an in-memory logging backend keeping `capacity` records. */
export function memoryLogBackend(capacity = DEFAULT_CAPACITY): MemoryLogBackend {
  return new MemoryLogBackend(capacity);
}
