/**
 * InstancePool keeps up to `max` instances of one component context inside a workload
 * thread. Instances are created on demand; an instance serves one call at a time; a
 * trapped instance is discarded and the next call gets a fresh one. A context that is not
 * used is closed by the main thread, and its instances go with it.
 */

/** Instance is what jco's generated `instantiate` resolves with: the component's exports. */
export type Instance = Record<string, unknown>;

/** InstancePool hands out idle instances, creating them up to a bound. */
export class InstancePool {
  readonly #create: () => Promise<Instance>;
  readonly #max: number;
  readonly #idle: Instance[] = [];
  readonly #waiters: { resolve(i: Instance): void; reject(e: unknown): void }[] = [];
  #live = 0;

  constructor(create: () => Promise<Instance>, max: number) {
    this.#create = create;
    this.#max = Math.max(1, max);
  }

  /** live is the number of instances that exist (idle or busy). */
  get live(): number {
    return this.#live;
  }

  /** next says what an acquire now would do: hand out an idle instance, create one, or wait for a release. */
  get next(): 'idle' | 'create' | 'wait' {
    if (this.#idle.length > 0) return 'idle';
    return this.#live < this.#max ? 'create' : 'wait';
  }

  /** acquire resolves with an instance for exclusive use. */
  async acquire(): Promise<Instance> {
    const idle = this.#idle.pop();
    if (idle) return idle;
    if (this.#live < this.#max) {
      this.#live++;
      try {
        return await this.#create();
      } catch (err) {
        this.#live--;
        throw err;
      }
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** release returns a healthy instance to the pool. */
  release(instance: Instance): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(instance);
    else this.#idle.push(instance);
  }

  /** discard forgets a broken (or no longer wanted) instance; a waiter gets a fresh one. */
  discard(): void {
    this.#live--;
    const waiter = this.#waiters.shift();
    if (waiter) this.acquire().then(waiter.resolve, waiter.reject);
  }

  /** clear drops every idle instance (busy ones are dropped when released by discard). */
  clear(): void {
    this.#live -= this.#idle.length;
    this.#idle.length = 0;
  }
}

/** findExport looks up an interface export by its unversioned name (or a plain function export). */
export function findExport(instance: Instance, iface: string): Record<string, unknown> | undefined {
  for (const [key, value] of Object.entries(instance)) {
    const at = key.indexOf('@');
    if ((at < 0 ? key : key.slice(0, at)) === iface) return value as Record<string, unknown>;
  }
  const short = iface.slice(iface.indexOf('/') + 1).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const value = instance[short];
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}
