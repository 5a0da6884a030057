/**
 * The backend flags `skiff dev` and `skiff host` share: which keyvalue and blobstore
 * backends a host offers beside memory and NATS (a data directory for the filesystem ones,
 * a Redis URL), which one serves a grant that selects none, whether config, logging and
 * messaging run on memory or NATS, and which capabilities are switched off.
 */
import { resolve } from 'node:path';
import {
  BLOBSTORE_BACKENDS,
  BROKER_BACKENDS,
  CAPABILITIES,
  type Capability,
  KEYVALUE_BACKENDS,
} from '../runtime/plugins/backends.js';
import { type ParsedArgs, UsageError } from './args.js';

/** BACKEND_FLAGS are the backend flags (for parseArgs: all take a value). */
export const BACKEND_FLAGS = {
  'data-dir': true,
  redis: true,
  'keyvalue-backend': true,
  'blobstore-backend': true,
  'config-backend': true,
  'logging-backend': true,
  'messaging-backend': true,
  'disable-plugin': true,
} as const;

/** SWITCHABLE are the names `--disable-plugin` takes: the capability plugins and http (the HTTP server). */
export const SWITCHABLE = [...CAPABILITIES, 'http'] as const;

/** BACKEND_USAGE documents BACKEND_FLAGS. */
export const BACKEND_USAGE = `Backend options (named instances pick one with hostInterfaces[].config.backend):
  --data-dir DIR           enable the filesystem keyvalue and blobstore backends, state under DIR
  --redis URL              enable the Redis keyvalue backend (or SKIFF_REDIS_URL), redis:// or rediss://
  --keyvalue-backend T     default keyvalue backend: ${KEYVALUE_BACKENDS.join(', ')}
  --blobstore-backend T    default blobstore backend: ${BLOBSTORE_BACKENDS.join(', ')}
                           (default for both: nats with NATS, else filesystem with --data-dir, else memory)
  --config-backend T       config backend: ${BROKER_BACKENDS.join(', ')} (memory: the manifest's values only)
  --logging-backend T      guest log backend: ${BROKER_BACKENDS.join(', ')} (memory: the host's own log only)
  --messaging-backend T    message broker: ${BROKER_BACKENDS.join(', ')} (memory: messages stay in this host)
                           (default for these three: nats with NATS, else memory)
  --disable-plugin NAME    do not provide this capability (repeatable, or comma-separated):
                           ${SWITCHABLE.join(', ')}
                           (heartbeats do not announce it: the operator places no workload
                           that needs it here; http: no HTTP server)
`;

/** BackendFlags are the parsed backend flags. */
export interface BackendFlags {
  readonly dataDir: string | undefined;
  readonly redisUrl: string | undefined;
  readonly keyvalue: (typeof KEYVALUE_BACKENDS)[number] | undefined;
  readonly blobstore: (typeof BLOBSTORE_BACKENDS)[number] | undefined;
  readonly config: (typeof BROKER_BACKENDS)[number] | undefined;
  readonly logging: (typeof BROKER_BACKENDS)[number] | undefined;
  readonly messaging: (typeof BROKER_BACKENDS)[number] | undefined;
  /** disabled are the capability plugins switched off. */
  readonly disabled: readonly Capability[];
  /** httpDisabled says the host runs no HTTP server and does not announce wasi:http/incoming-handler. */
  readonly httpDisabled: boolean;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  return value as T;
}

/** backendFlags reads the backend flags; `redisFromEnv` is SKIFF_REDIS_URL (the flag wins). */
export function backendFlags(args: ParsedArgs, redisFromEnv?: string): BackendFlags {
  const last = (flag: keyof typeof BACKEND_FLAGS) => args.flags.get(flag)?.at(-1);
  const dataDir = last('data-dir');
  if (dataDir === '') throw new UsageError('--data-dir must name a directory');
  const redisUrl = last('redis') ?? (redisFromEnv || undefined);
  if (redisUrl !== undefined && !/^rediss?:\/\/[^/\s]+/.test(redisUrl))
    throw new UsageError('--redis must be a redis:// or rediss:// URL');
  const off = disabledPlugins(args.flags.get('disable-plugin') ?? []);
  const flags: BackendFlags = {
    dataDir: dataDir === undefined ? undefined : resolve(dataDir),
    redisUrl,
    keyvalue: oneOf('keyvalue-backend', last('keyvalue-backend'), KEYVALUE_BACKENDS),
    blobstore: oneOf('blobstore-backend', last('blobstore-backend'), BLOBSTORE_BACKENDS),
    config: oneOf('config-backend', last('config-backend'), BROKER_BACKENDS),
    logging: oneOf('logging-backend', last('logging-backend'), BROKER_BACKENDS),
    messaging: oneOf('messaging-backend', last('messaging-backend'), BROKER_BACKENDS),
    disabled: CAPABILITIES.filter((c) => off.has(c)),
    httpDisabled: off.has('http'),
  };
  for (const c of flags.disabled) {
    if (flags[c] !== undefined) throw new UsageError(`--${c}-backend and --disable-plugin ${c} contradict each other`);
  }
  return flags;
}

/** disabledPlugins reads repeated, comma-separated `--disable-plugin` values. */
export function disabledPlugins(values: readonly string[]): ReadonlySet<(typeof SWITCHABLE)[number]> {
  const names = values.flatMap((v) => v.split(',')).map((n) => n.trim());
  for (const n of names) {
    if (!(SWITCHABLE as readonly string[]).includes(n))
      throw new UsageError(`--disable-plugin must name one of ${SWITCHABLE.join(', ')} (got ${JSON.stringify(n)})`);
  }
  return new Set(names as (typeof SWITCHABLE)[number][]);
}
