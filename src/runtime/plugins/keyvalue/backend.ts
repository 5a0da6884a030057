/**
 * The storage interface the keyvalue plugin talks to. Backends see plain scoped names; the
 * plugin turns their failures into `wasi:keyvalue/store` error values.
 */

/** KeyPage is one page of keys and the cursor of the next page, if there is one. */
export interface KeyPage {
  readonly keys: string[];
  readonly next?: bigint;
}

/** KeyValueBucket is one opened bucket of a backend. Every method may reject; the guest then sees `other`. */
export interface KeyValueBucket {
  /** get returns the value under `key`, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** set stores `value` under `key`. */
  set(key: string, value: Uint8Array): Promise<void>;
  /** delete removes `key`; a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** exists tells whether `key` holds a value. */
  exists(key: string): Promise<boolean>;
  /** listKeys returns up to `limit` keys starting at the opaque position `cursor` (0 is the start). */
  listKeys(cursor: bigint, limit: number): Promise<KeyPage>;
  /**
   * increment atomically adds `delta` to the unsigned decimal number stored under `key`
   * (missing counts as 0), stores the sum as decimal ASCII and returns it. It rejects with
   * a KeyValueValueError when the value is not such a number or the sum exceeds u64.
   */
  increment(key: string, delta: bigint): Promise<bigint>;
}

/** KeyValueBackend opens buckets; `scope` is the workload namespace, so equal scopes share buckets. */
export interface KeyValueBackend {
  /** open returns the bucket `name` of `scope`, creating it if needed. */
  open(scope: string, name: string): Promise<KeyValueBucket>;
  /** close releases what the backend holds (connections, timers). */
  close?(): Promise<void>;
}

/** KeyValueValueError means a stored value cannot be used the way the call needs (e.g. incremented). */
export class KeyValueValueError extends Error {
  override readonly name = 'KeyValueValueError';
}

/** U64_MAX is the largest value of a WIT `u64`. */
export const U64_MAX = (1n << 64n) - 1n;

/** addCounter parses a stored counter, adds `delta` and returns the sum, or throws KeyValueValueError. */
export function addCounter(key: string, stored: Uint8Array | undefined, delta: bigint): bigint {
  let current = 0n;
  if (stored !== undefined) {
    const text = new TextDecoder().decode(stored).trim();
    if (!/^[0-9]{1,20}$/.test(text)) {
      throw new KeyValueValueError(`value of key "${key}" is not an unsigned decimal number`);
    }
    current = BigInt(text);
  }
  const sum = current + delta;
  if (sum > U64_MAX) throw new KeyValueValueError(`incrementing key "${key}" overflows u64`);
  return sum;
}
