/**
 * hostPlugins builds a host's capability plugins from its backend settings: which backend
 * types it offers (memory always; filesystem with a data directory; Redis with a URL; NATS
 * with a connection) and which one serves a grant that selects none. Named instances
 * (`hostInterfaces[].name` + `config.backend`) pick any offered type; each type has one
 * backend per host, shared by every workload that selects it (plugins/multiplex.ts).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { HostPlugin, ThreadPlugin } from '../plugin.js';
import { threadModule } from '../threads.js';
import type { BlobstoreBackend } from './blobstore/backend.js';
import { filesystemBlobstoreBackend } from './blobstore/filesystem.js';
import { blobstorePlugin } from './blobstore/index.js';
import { memoryBlobstoreBackend } from './blobstore/memory.js';
import { natsBlobstoreBackend } from './blobstore/nats.js';
import { configPlugin, memoryConfigBackend } from './config/index.js';
import { natsConfigBackend } from './config/nats.js';
import type { NatsPluginsOptions } from './index.js';
import type { KeyValueBackend } from './keyvalue/backend.js';
import { filesystemKeyValueBackend } from './keyvalue/filesystem.js';
import { keyvaluePlugin } from './keyvalue/index.js';
import { memoryKeyValueBackend } from './keyvalue/memory.js';
import { natsKeyValueBackend } from './keyvalue/nats.js';
import { redisKeyValueBackend } from './keyvalue/redis.js';
import { loggingPlugin, memoryLogBackend } from './logging/index.js';
import { natsLogBackend } from './logging/nats.js';
import { memoryMessagingBackend, messagingPlugin } from './messaging/index.js';
import { natsMessagingBackend } from './messaging/nats.js';
import type { BackendProvider } from './multiplex.js';
import { otelPlugin } from './otel/index.js';
import { secretsPlugin } from './secrets/index.js';

/** KEYVALUE_BACKENDS are the keyvalue backend types a host can offer. */
export const KEYVALUE_BACKENDS = ['memory', 'filesystem', 'redis', 'nats'] as const;
/** BLOBSTORE_BACKENDS are the blobstore backend types a host can offer. */
export const BLOBSTORE_BACKENDS = ['memory', 'filesystem', 'nats'] as const;

/** BackendSettings say which backends a host offers and which serve unselected grants. */
export interface BackendSettings {
  /** nats enables the NATS backends on the host's connection (which stays the caller's). */
  readonly nats?: { readonly nc: NatsConnection; readonly options?: NatsPluginsOptions } | undefined;
  /** dataDir enables the filesystem backends, with their state under this directory. */
  readonly dataDir?: string | undefined;
  /** redisUrl enables the Redis keyvalue backend on this server. */
  readonly redisUrl?: string | undefined;
  /** keyvalue is the default keyvalue backend (default: nats with NATS, else filesystem with a data dir, else memory). */
  readonly keyvalue?: (typeof KEYVALUE_BACKENDS)[number] | undefined;
  /** blobstore is the default blobstore backend (same default rule as keyvalue). */
  readonly blobstore?: (typeof BLOBSTORE_BACKENDS)[number] | undefined;
  /** onBackendError hears connection errors of backends that reconnect by themselves (Redis). */
  readonly onBackendError?: ((backend: string, err: Error) => void) | undefined;
}

const threadPluginUrl = threadModule('threads/nats', import.meta.url).href;

/**
 * natsThreadFor describes the workload-thread copy of a NATS-backed keyvalue or blobstore
 * plugin (plugins/threads/nats.ts), or undefined when `options.threads` is not set.
 */
export function natsThreadFor(plugin: 'keyvalue' | 'blobstore', options: NatsPluginsOptions): ThreadPlugin | undefined {
  const { threads, timeoutMs, prefix } = options;
  return (
    threads && {
      module: threadPluginUrl,
      factory: 'natsThreadPlugin',
      options: { plugin, settings: threads.settings, name: threads.name, timeoutMs, prefix },
    }
  );
}

/** BackendSettingsError means the settings ask for a default backend they do not enable. */
export class BackendSettingsError extends Error {
  override readonly name = 'BackendSettingsError';
  readonly code = 'SKIFF_BACKEND_SETTINGS';
}

function pick<T extends string>(what: string, wanted: T | undefined, offered: Map<string, unknown>, fallback: T): T {
  const type = wanted ?? fallback;
  if (!offered.has(type)) {
    const hint = { filesystem: ' (set a data directory)', redis: ' (set a Redis URL)', nats: ' (connect to NATS)' };
    throw new BackendSettingsError(
      `the default ${what} backend "${type}" is not enabled${hint[type as keyof typeof hint] ?? ''}`,
    );
  }
  return type;
}

/** hostPlugins returns every capability plugin for a host with these backend settings. */
export function hostPlugins(settings: BackendSettings): HostPlugin[] {
  const { nats, dataDir, redisUrl } = settings;
  const natsOptions = nats?.options ?? {};
  const natsBackendOptions = { timeoutMs: natsOptions.timeoutMs, prefix: natsOptions.prefix };
  const fallback = nats ? 'nats' : dataDir ? 'filesystem' : 'memory';

  const kv = new Map<string, () => KeyValueBackend>([['memory', memoryKeyValueBackend]]);
  if (dataDir) kv.set('filesystem', () => filesystemKeyValueBackend({ root: dataDir }));
  if (redisUrl)
    kv.set('redis', () =>
      redisKeyValueBackend({ url: redisUrl, onError: (err) => settings.onBackendError?.('redis', err) }),
    );
  if (nats) kv.set('nats', () => natsKeyValueBackend(nats.nc, natsBackendOptions));
  const blob = new Map<string, () => BlobstoreBackend>([['memory', () => memoryBlobstoreBackend()]]);
  if (dataDir) blob.set('filesystem', () => filesystemBlobstoreBackend({ root: dataDir }));
  if (nats) blob.set('nats', () => natsBlobstoreBackend(nats.nc, natsBackendOptions));

  const kvType = pick('keyvalue', settings.keyvalue, kv, fallback);
  const blobType = pick('blobstore', settings.blobstore, blob, fallback as 'memory');
  // One backend per type per host: providers have no poolKey, so every instance of a type shares it.
  const providers = <B>(made: Map<string, () => B>, skip: string): BackendProvider<B>[] =>
    [...made].filter(([type]) => type !== skip).map(([type, create]) => ({ type, create: () => create() }));

  const keyvalue = keyvaluePlugin({
    backend: kv.get(kvType)!(),
    backendType: kvType,
    providers: providers(kv, kvType),
  });
  const blobstore = blobstorePlugin({
    backend: blob.get(blobType)!(),
    backendType: blobType,
    providers: providers(blob, blobType),
  });
  // With NATS by default, the NATS plugins keep their per-thread connections (ADR 0006).
  const kvThread = kvType === 'nats' ? natsThreadFor('keyvalue', natsOptions) : undefined;
  const blobThread = blobType === 'nats' ? natsThreadFor('blobstore', natsOptions) : undefined;
  return [
    kvThread ? { ...keyvalue, thread: kvThread } : keyvalue,
    blobThread ? { ...blobstore, thread: blobThread } : blobstore,
    configPlugin({
      backend: nats
        ? natsConfigBackend(nats.nc, { timeoutMs: natsOptions.timeoutMs, bucket: natsOptions.configBucket })
        : memoryConfigBackend(),
    }),
    loggingPlugin({ backend: nats ? natsLogBackend(nats.nc) : memoryLogBackend() }),
    messagingPlugin({ backend: nats ? natsMessagingBackend(nats.nc) : memoryMessagingBackend() }),
    secretsPlugin(),
    otelPlugin(),
  ];
}
