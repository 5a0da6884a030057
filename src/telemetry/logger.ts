/**
 * Logger factory: pino JSON logs. Loggers are passed down as arguments, never imported
 * as singletons.
 */
import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/** createLogger returns a pino logger writing JSON to stderr (or to `destination`). */
export function createLogger(
  options: LoggerOptions & { destination?: NodeJS.WritableStream | pino.DestinationStream } = {},
): Logger {
  const { destination, ...rest } = options;
  return pino(
    { level: 'info', base: { app: 'skiff' }, timestamp: pino.stdTimeFunctions.isoTime, ...rest },
    (destination as pino.DestinationStream | undefined) ?? pino.destination(2),
  );
}

/** silentLogger returns a logger that drops everything (for library users who opt out). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
