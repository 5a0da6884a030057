/**
 * Where the logging plugin ships guest log records besides the workload's pino logger
 * (which always receives them). A backend may forward them elsewhere (e.g. a NATS subject)
 * or keep recent ones for inspection; writes never block or fail the guest.
 */

/** LogLevel is the `wasi:logging/logging.level` enum as jco represents it. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';

/** LogRecord is one guest log call with where it came from. */
export interface LogRecord {
  readonly time: number;
  readonly namespace: string;
  readonly workload: string;
  readonly component: string;
  readonly level: LogLevel;
  readonly context: string;
  readonly message: string;
}

/** LogBackend receives every guest log record. */
export interface LogBackend {
  /** write takes one record; a rejection is logged by the host, never shown to the guest. */
  write(record: LogRecord): Promise<void> | void;
  /** close releases what the backend holds. */
  close?(): Promise<void>;
}
