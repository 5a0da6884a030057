/**
 * The capability plugins Skiff ships, one folder per WIT package (keyvalue, blobstore,
 * config, logging, messaging), each with the same files: `index.ts` (the plugin factory),
 * `backend.ts` (the interface its storage or broker implements), `memory.ts` (the in-memory
 * backend `skiff dev` uses), `contract.ts` (the tests every backend must pass) and
 * `memory.test.ts`. `memoryPlugins` returns all of them with in-memory backends.
 */
import type { HostPlugin } from '../plugin.js';
import { blobstorePlugin, memoryBlobstoreBackend } from './blobstore/index.js';
import { configPlugin, memoryConfigBackend } from './config/index.js';
import { keyvaluePlugin, memoryKeyValueBackend } from './keyvalue/index.js';
import { loggingPlugin, memoryLogBackend } from './logging/index.js';
import { memoryMessagingBackend, messagingPlugin } from './messaging/index.js';

export {
  BLOB_TYPES,
  BLOBSTORE,
  type BlobstoreBackend,
  type BlobstorePluginOptions,
  blobstorePlugin,
  CONTAINER,
  type Chunks,
  type ContainerInfo,
  MemoryBlobstoreBackend,
  memoryBlobstoreBackend,
  type ObjectInfo,
  type ObjectRange,
  type ObjectRef,
} from './blobstore/index.js';
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
export {
  type LogBackend,
  type LoggingPluginOptions,
  type LogLevel,
  type LogRecord,
  LOGGING,
  loggingPlugin,
  MemoryLogBackend,
  memoryLogBackend,
  PINO_LEVEL,
} from './logging/index.js';
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

/** memoryPlugins returns every capability plugin with a fresh in-memory backend. */
export function memoryPlugins(): HostPlugin[] {
  return [
    keyvaluePlugin({ backend: memoryKeyValueBackend() }),
    blobstorePlugin({ backend: memoryBlobstoreBackend() }),
    configPlugin({ backend: memoryConfigBackend() }),
    loggingPlugin({ backend: memoryLogBackend() }),
    messagingPlugin({ backend: memoryMessagingBackend() }),
  ];
}
