/**
 * The consumer side of heartbeats: which hosts are alive. A host is gone after it missed
 * K heartbeats in a row (by its own announced interval), or at once when it says it stops.
 */
import type { Heartbeat } from '../api/index.js';

/** DEFAULT_MISSED_HEARTBEATS is K: how many heartbeats a host may miss before it is gone. */
export const DEFAULT_MISSED_HEARTBEATS = 3;

/** HostEntry is the latest heartbeat of a host and when it arrived (ms on the tracker's clock). */
export interface HostEntry {
  readonly heartbeat: Heartbeat;
  readonly seenAt: number;
}

/** HostChange is what `observe` and `expire` report, for callers that react to transitions. */
export type HostChange = { type: 'joined' | 'updated' | 'left' | 'expired'; hostId: string };

/** HostTracker keeps the latest heartbeat per host; time comes from the injected clock. */
export class HostTracker {
  readonly #hosts = new Map<string, HostEntry>();
  readonly #missed: number;
  readonly #now: () => number;

  constructor(options: { missedHeartbeats?: number; now?: () => number } = {}) {
    this.#missed = options.missedHeartbeats ?? DEFAULT_MISSED_HEARTBEATS;
    this.#now = options.now ?? Date.now;
  }

  /** observe records a heartbeat; a `stopping` one removes the host. */
  observe(heartbeat: Heartbeat): HostChange {
    const hostId = heartbeat.hostId;
    const known = this.#hosts.has(hostId);
    if (heartbeat.stopping) {
      this.#hosts.delete(hostId);
      return { type: 'left', hostId };
    }
    this.#hosts.set(hostId, { heartbeat, seenAt: this.#now() });
    return { type: known ? 'updated' : 'joined', hostId };
  }

  /** deadline is when a host expires unless another heartbeat arrives. */
  deadline(entry: HostEntry): number {
    return entry.seenAt + this.#missed * entry.heartbeat.intervalSeconds * 1000;
  }

  /** expire forgets hosts past their deadline and reports them. */
  expire(): HostChange[] {
    const now = this.#now();
    const gone: HostChange[] = [];
    for (const [hostId, entry] of this.#hosts) {
      if (now >= this.deadline(entry)) {
        this.#hosts.delete(hostId);
        gone.push({ type: 'expired', hostId });
      }
    }
    return gone;
  }

  /** alive lists the hosts not yet expired, by id. */
  alive(): HostEntry[] {
    this.expire();
    return [...this.#hosts.values()].sort((a, b) => a.heartbeat.hostId.localeCompare(b.heartbeat.hostId));
  }

  /** get returns a live host's entry. */
  get(hostId: string): HostEntry | undefined {
    this.expire();
    return this.#hosts.get(hostId);
  }
}
