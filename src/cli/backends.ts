/**
 * The backend flags `skiff dev` and `skiff host` share: which keyvalue and blobstore
 * backends a host offers beside memory and NATS (a data directory for the filesystem ones,
 * a Redis URL), and which one serves a grant that selects none.
 */
import { resolve } from 'node:path';
import { BLOBSTORE_BACKENDS, KEYVALUE_BACKENDS } from '../runtime/plugins/backends.js';
import { type ParsedArgs, UsageError } from './args.js';

/** BACKEND_FLAGS are the backend flags (for parseArgs: all take a value). */
export const BACKEND_FLAGS = {
  'data-dir': true,
  redis: true,
  'keyvalue-backend': true,
  'blobstore-backend': true,
} as const;

/** BACKEND_USAGE documents BACKEND_FLAGS. */
export const BACKEND_USAGE = `Backend options (named instances pick one with hostInterfaces[].config.backend):
  --data-dir DIR           enable the filesystem keyvalue and blobstore backends, state under DIR
  --redis URL              enable the Redis keyvalue backend (or SKIFF_REDIS_URL), redis:// or rediss://
  --keyvalue-backend T     default keyvalue backend: ${KEYVALUE_BACKENDS.join(', ')}
  --blobstore-backend T    default blobstore backend: ${BLOBSTORE_BACKENDS.join(', ')}
                           (default for both: nats with NATS, else filesystem with --data-dir, else memory)
`;

/** BackendFlags are the parsed backend flags. */
export interface BackendFlags {
  readonly dataDir: string | undefined;
  readonly redisUrl: string | undefined;
  readonly keyvalue: (typeof KEYVALUE_BACKENDS)[number] | undefined;
  readonly blobstore: (typeof BLOBSTORE_BACKENDS)[number] | undefined;
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
  return {
    dataDir: dataDir === undefined ? undefined : resolve(dataDir),
    redisUrl,
    keyvalue: oneOf('keyvalue-backend', last('keyvalue-backend'), KEYVALUE_BACKENDS),
    blobstore: oneOf('blobstore-backend', last('blobstore-backend'), BLOBSTORE_BACKENDS),
  };
}
