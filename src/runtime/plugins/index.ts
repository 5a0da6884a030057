/**
 * The capability plugins Skiff ships, one folder per WIT package (keyvalue, blobstore,
 * config, logging, messaging, secrets), each with the same files: `index.ts` (the plugin factory),
 * `backend.ts` (the interface its storage or broker implements), `memory.ts` (the in-memory
 * backend `skiff dev` uses), `contract.ts` (the tests every backend must pass) and
 * `memory.test.ts`, plus `nats.ts` (the NATS backend production hosts use) and `nats.test.ts`
 * running the same contract against a real nats-server; keyvalue and blobstore also have
 * `filesystem.ts` and keyvalue `redis.ts`, each passing the same contract (secrets has no
 * backend: its values come with the start, docs/adr/0019-secrets.md). `memoryPlugins`
 * returns all plugins with in-memory backends, `natsPlugins` with NATS backends on one
 * connection (docs/adr/0006-nats-backends.md), and `hostPlugins` with whichever backends a
 * host's settings enable, named instances selecting among them (`multiplex.ts`,
 * docs/adr/0018-named-backends.md). `otel/` serves `wasi:otel` through the host's tracing
 * (no backend of its own); `traced-nats.ts` makes a NATS connection's requests spans.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsSettings } from '../../nats/config.js';
import type { HostPlugin } from '../plugin.js';
import { hostPlugins } from './backends.js';

export { type AccountPluginsOptions, accountPlugins } from './accounts.js';
export {
  type BackendSettings,
  BackendSettingsError,
  BLOBSTORE_BACKENDS,
  BROKER_BACKENDS,
  CAPABILITIES,
  type Capability,
  hostPlugins,
  KEYVALUE_BACKENDS,
  natsThreadFor,
} from './backends.js';
export {
  FilesystemBlobstoreBackend,
  type FilesystemBlobstoreOptions,
  filesystemBlobstoreBackend,
} from './blobstore/filesystem.js';
export {
  BLOB_TYPES,
  BLOBSTORE,
  type BlobstoreBackend,
  type BlobstorePluginOptions,
  blobstorePlugin,
  type Chunks,
  CONTAINER,
  type ContainerInfo,
  MemoryBlobstoreBackend,
  memoryBlobstoreBackend,
  type ObjectInfo,
  type ObjectRange,
  type ObjectRef,
} from './blobstore/index.js';
export { NatsBlobstoreBackend, type NatsBlobstoreOptions, natsBlobstoreBackend } from './blobstore/nats.js';
export {
  DEFAULT_NATS_TIMEOUT_MS,
  decodeToken,
  encodeToken,
  NatsUnavailableError,
  natsBucketName,
} from './common.js';
export {
  CONFIG_STORE,
  type ConfigBackend,
  type ConfigError,
  type ConfigPluginOptions,
  type ConfigRef,
  type ConfigView,
  configPlugin,
  MemoryConfigBackend,
  memoryConfigBackend,
} from './config/index.js';
export {
  CONFIG_BUCKET,
  configKey,
  NatsConfigBackend,
  type NatsConfigOptions,
  natsConfigBackend,
} from './config/nats.js';
export {
  FilesystemKeyValueBackend,
  type FilesystemKeyValueOptions,
  filesystemKeyValueBackend,
} from './keyvalue/filesystem.js';
export {
  ATOMICS,
  BATCH,
  BUCKET_NAME,
  DEFAULT_PAGE_SIZE,
  type KeyPage,
  type KeyValueBackend,
  type KeyValueBucket,
  type KeyValueError,
  type KeyValuePluginOptions,
  KeyValueValueError,
  keyvaluePlugin,
  MemoryKeyValueBackend,
  memoryKeyValueBackend,
  STORE,
} from './keyvalue/index.js';
export { NatsKeyValueBackend, type NatsKeyValueOptions, natsKeyValueBackend } from './keyvalue/nats.js';
export {
  DEFAULT_REDIS_TIMEOUT_MS,
  RedisKeyValueBackend,
  type RedisKeyValueOptions,
  RedisUnavailableError,
  redisKeyValueBackend,
} from './keyvalue/redis.js';
export {
  LOGGING,
  type LogBackend,
  type LoggingPluginOptions,
  type LogLevel,
  type LogRecord,
  loggingPlugin,
  MemoryLogBackend,
  memoryLogBackend,
  PINO_LEVEL,
} from './logging/index.js';
export { NatsLogBackend, natsLogBackend, type PublishedLogRecord } from './logging/nats.js';
export {
  type BrokerMessage,
  CONSUMER,
  CONSUMER_GROUP_KEY,
  HANDLER,
  MemoryMessagingBackend,
  type MessagingBackend,
  type MessagingPluginOptions,
  memoryMessagingBackend,
  messagingPlugin,
  SUBSCRIPTIONS_KEY,
  type Subscription,
  subjectMatches,
  subscriptionsOf,
} from './messaging/index.js';
export { NatsMessagingBackend, natsMessagingBackend } from './messaging/nats.js';
export { LOGS, METRICS, OTEL_TYPES, otelPlugin, TRACING } from './otel/index.js';
export { TRACEPARENT_HEADER, tracedNats } from './traced-nats.js';
export {
  BACKEND_KEY,
  BackendConfigError,
  type BackendProvider,
  BackendSelector,
  type BackendSelectorOptions,
  BackendUnavailableError,
  type GrantConfig,
  type Routes,
} from './multiplex.js';
export {
  SECRETS_REVEAL,
  SECRETS_STORE,
  SecretConflictError,
  type SecretsError,
  type SecretValue,
  secretsPlugin,
  secretValueOf,
} from './secrets/index.js';

/** NatsPluginsOptions tune the NATS backends natsPlugins creates. */
export interface NatsPluginsOptions {
  /** timeoutMs bounds each NATS call a guest waits on (default DEFAULT_NATS_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** prefix starts every keyvalue and blobstore bucket name (default `skiff`). */
  readonly prefix?: string;
  /** configBucket is the KV bucket of run-time config overrides (default CONFIG_BUCKET). */
  readonly configBucket?: string;
  /**
   * threads, when set, lets each workload thread open a NATS connection of its own with
   * these settings for keyvalue and blobstore, so a guest's call there needs no trip to the
   * main thread (docs/adr/0006). Without it every call goes through `nc`.
   */
  readonly threads?: { readonly settings: NatsSettings; readonly name?: string } | undefined;
}

/** natsPlugins returns every capability plugin backed by NATS on the host's connection `nc` (which stays the caller's). */
export function natsPlugins(nc: NatsConnection, options: NatsPluginsOptions = {}): HostPlugin[] {
  return hostPlugins({ nats: { nc, options } });
}

/** memoryPlugins returns every capability plugin with a fresh in-memory backend. */
export function memoryPlugins(): HostPlugin[] {
  return hostPlugins({});
}
