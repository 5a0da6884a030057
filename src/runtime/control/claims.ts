/**
 * RouteClaims remembers the virtual hosts each incarnation of a workload claims, taken from
 * the start requests the host received, so heartbeats can report them beside the status.
 */

/** Incarnation names one start of a workload: its id, uid and generation. */
export interface Incarnation {
  readonly id: string;
  readonly uid: string;
  readonly generation: number;
}

const keyOf = (i: Incarnation) => `${i.uid}\n${i.generation}`;

/** RouteClaims maps workload incarnations to the virtual hosts they claim. */
export class RouteClaims {
  readonly #byId = new Map<string, Map<string, readonly string[]>>();

  /** record remembers what one incarnation claims. */
  record(incarnation: Incarnation, hosts: readonly string[]): void {
    const forId = this.#byId.get(incarnation.id) ?? new Map<string, readonly string[]>();
    forId.set(keyOf(incarnation), [...hosts]);
    this.#byId.set(incarnation.id, forId);
  }

  /** hostsOf returns what an incarnation claims (none if its start was never seen). */
  hostsOf(incarnation: Incarnation): readonly string[] {
    return this.#byId.get(incarnation.id)?.get(keyOf(incarnation)) ?? [];
  }

  /** retain forgets every incarnation not in `live` (the host's workloads and starts in flight). */
  retain(live: Iterable<Incarnation>): void {
    const keep = new Map<string, Set<string>>();
    for (const i of live) keep.set(i.id, (keep.get(i.id) ?? new Set()).add(keyOf(i)));
    for (const [id, forId] of this.#byId) {
      const wanted = keep.get(id);
      for (const key of forId.keys()) if (!wanted?.has(key)) forId.delete(key);
      if (forId.size === 0) this.#byId.delete(id);
    }
  }
}
