/**
 * The NATS logging backend: every guest log record (already written to the workload's pino
 * logger by the plugin) is also published as JSON on the workload's log subject
 * (`workloadLogSubject` in src/nats/subjects.ts: `skiff.logs.<namespace>.<workload>`), which
 * `skiff ctl logs` follows. Core NATS, at most once: while NATS is down records are dropped
 * and counted (pino still has them), so an outage never blocks or fails the guest.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { workloadLogSubject } from '../../../nats/subjects.js';
import { natsDown } from '../common.js';
import type { LogBackend, LogRecord } from './backend.js';

/** PublishedLogRecord is the JSON published per record: a LogRecord with an ISO `time`. */
export type PublishedLogRecord = Omit<LogRecord, 'time'> & { readonly time: string };

/** NatsLogBackend publishes guest log records on per-workload subjects. */
export class NatsLogBackend implements LogBackend {
  readonly #nc: NatsConnection;
  #dropped = 0;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
  }

  /** dropped counts records not published because NATS was down. */
  get dropped(): number {
    return this.#dropped;
  }

  write(record: LogRecord): void {
    if (natsDown(this.#nc)) {
      this.#dropped++;
      return;
    }
    const published: PublishedLogRecord = { ...record, time: new Date(record.time).toISOString() };
    this.#nc.publish(workloadLogSubject(record.namespace, record.workload), JSON.stringify(published));
  }
}

/** natsLogBackend returns a logging backend publishing on `skiff.logs.<namespace>.<workload>` over `nc`. */
export function natsLogBackend(nc: NatsConnection): NatsLogBackend {
  return new NatsLogBackend(nc);
}
