/**
 * HostRegistry is the operator's picture of the live hosts and what they run, built only
 * from what hosts say (heartbeats, and replies to the operator's own requests), so a
 * restarted operator rebuilds it within one heartbeat interval.
 *
 * Safety (wasmCloud #5502): hosts never expire while the operator's NATS connection is down,
 * nor until one full expiry window has passed since it came back — silence during an outage
 * says nothing about the hosts.
 */
import type { Heartbeat, WorkloadReport } from '../../api/index.js';

/** DEFAULT_MISSED = K: a host is lost after K heartbeat intervals without a heartbeat. */
export const DEFAULT_MISSED = 3;

/** LiveHost is one live host: its latest heartbeat and its workloads as last reported. */
export interface LiveHost {
  readonly heartbeat: Heartbeat;
  /** reports by workload id (namespace/name), from heartbeats and replies, newest wins. */
  readonly reports: ReadonlyMap<string, WorkloadReport>;
  readonly seenAt: number;
}

/** RegistryChange reports a host joining, changing, leaving (said so) or expiring (went silent). */
export interface RegistryChange {
  readonly type: 'joined' | 'updated' | 'left' | 'expired';
  readonly hostId: string;
  /** workloads whose report on this host appeared, changed or disappeared. */
  readonly workloads: readonly string[];
}

interface Entry {
  heartbeat: Heartbeat;
  reports: Map<string, WorkloadReport>;
  seenAt: number;
}

/** HostRegistry tracks live hosts; time comes from the injected clock. */
export class HostRegistry {
  readonly #hosts = new Map<string, Entry>();
  readonly #missed: number;
  readonly #now: () => number;
  #connected = false;
  #connectedAt = 0;

  constructor(options: { missedHeartbeats?: number; now?: () => number } = {}) {
    this.#missed = options.missedHeartbeats ?? DEFAULT_MISSED;
    this.#now = options.now ?? Date.now;
  }

  /** connected records the operator's NATS connection coming up (first connect or reconnect). */
  connected(): void {
    this.#connected = true;
    this.#connectedAt = this.#now();
  }

  /** disconnected records the operator's NATS connection going down: expiry pauses. */
  disconnected(): void {
    this.#connected = false;
  }

  /** isConnected tells whether the operator's NATS connection is up. */
  get isConnected(): boolean {
    return this.#connected;
  }

  /**
   * healthy is true when the connection is up and has been for one full expiry window of
   * every known host (or of `fallbackIntervalSeconds` when none is known), so the registry's
   * view is complete: only then may the operator conclude something is gone.
   */
  healthy(fallbackIntervalSeconds = 1): boolean {
    if (!this.#connected) return false;
    const intervals = [...this.#hosts.values()].map((e) => e.heartbeat.intervalSeconds);
    const window = this.#missed * Math.max(fallbackIntervalSeconds, ...intervals) * 1000;
    return this.#now() - this.#connectedAt >= window;
  }

  /**
   * warmInMs says how long until the registry has heard from every live host since the
   * connection came up (1.5 heartbeat intervals of the slowest known host, at least
   * 1.5 × `fallbackIntervalSeconds`): 0 when warm, undefined while disconnected. Acting on
   * a colder registry could start a replica that already runs on a host not heard yet.
   */
  warmInMs(fallbackIntervalSeconds = 1): number | undefined {
    if (!this.#connected) return undefined;
    const intervals = [...this.#hosts.values()].map((e) => e.heartbeat.intervalSeconds);
    const window = 1.5 * Math.max(fallbackIntervalSeconds, ...intervals) * 1000;
    return Math.max(0, this.#connectedAt + window - this.#now());
  }

  /** observeHeartbeat records a heartbeat and reports what changed. */
  observeHeartbeat(hb: Heartbeat): RegistryChange {
    const before = this.#hosts.get(hb.hostId);
    const previous = before?.reports ?? new Map<string, WorkloadReport>();
    if (hb.stopping) {
      this.#hosts.delete(hb.hostId);
      return { type: 'left', hostId: hb.hostId, workloads: [...previous.keys()] };
    }
    const reports = new Map(hb.workloads.map((r) => [r.id, r]));
    this.#hosts.set(hb.hostId, { heartbeat: hb, reports, seenAt: this.#now() });
    return { type: before ? 'updated' : 'joined', hostId: hb.hostId, workloads: changedIds(previous, reports) };
  }

  /** observeReport records a reply about one workload (a start's report), newer than the last heartbeat. */
  observeReport(hostId: string, report: WorkloadReport): void {
    this.#hosts.get(hostId)?.reports.set(report.id, report);
  }

  /** observeGone records that a host no longer runs a workload (a stop's reply). */
  observeGone(hostId: string, id: string): void {
    this.#hosts.get(hostId)?.reports.delete(id);
  }

  /** forget drops a host at once (e.g. its pod was deleted); reports what it ran. */
  forget(hostId: string): RegistryChange | undefined {
    const entry = this.#hosts.get(hostId);
    if (!entry) return undefined;
    this.#hosts.delete(hostId);
    return { type: 'left', hostId, workloads: [...entry.reports.keys()] };
  }

  /** expire forgets hosts that missed K heartbeats — never while NATS is down or just back. */
  expire(): RegistryChange[] {
    if (!this.#connected) return [];
    const now = this.#now();
    const gone: RegistryChange[] = [];
    for (const [hostId, entry] of this.#hosts) {
      const since = Math.max(entry.seenAt, this.#connectedAt);
      if (now >= since + this.#missed * entry.heartbeat.intervalSeconds * 1000) {
        this.#hosts.delete(hostId);
        gone.push({ type: 'expired', hostId, workloads: [...entry.reports.keys()] });
      }
    }
    return gone;
  }

  /** nextExpiry is when the next host would expire (ms on the clock), for scheduling a check. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const entry of this.#hosts.values()) {
      const at = Math.max(entry.seenAt, this.#connectedAt) + this.#missed * entry.heartbeat.intervalSeconds * 1000;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** hosts lists the live hosts by id. */
  hosts(): LiveHost[] {
    return [...this.#hosts.values()].sort((a, b) => a.heartbeat.hostId.localeCompare(b.heartbeat.hostId));
  }

  /** get returns one live host. */
  get(hostId: string): LiveHost | undefined {
    return this.#hosts.get(hostId);
  }

  /** workloadIds lists every workload id some live host reports. */
  workloadIds(): string[] {
    const ids = new Set<string>();
    for (const e of this.#hosts.values()) for (const id of e.reports.keys()) ids.add(id);
    return [...ids];
  }

  /** reportsFor lists each live host's report on workload `id`. */
  reportsFor(id: string): { hostId: string; report: WorkloadReport }[] {
    const out: { hostId: string; report: WorkloadReport }[] = [];
    for (const [hostId, e] of this.#hosts) {
      const report = e.reports.get(id);
      if (report) out.push({ hostId, report });
    }
    return out.sort((a, b) => a.hostId.localeCompare(b.hostId));
  }
}

function changedIds(before: ReadonlyMap<string, WorkloadReport>, after: ReadonlyMap<string, WorkloadReport>): string[] {
  const ids: string[] = [];
  for (const [id, r] of after) {
    const old = before.get(id);
    const service = (x: WorkloadReport) => `${x.service?.state}/${x.service?.restarts}`;
    if (!old || old.uid !== r.uid || old.generation !== r.generation || old.state !== r.state) ids.push(id);
    else if (service(old) !== service(r)) ids.push(id);
  }
  for (const id of before.keys()) if (!after.has(id)) ids.push(id);
  return ids;
}
