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
/** BROKER_BACKENDS are the backend types a host can offer for config, logging and messaging. */
export const BROKER_BACKENDS = ['memory', 'nats'] as const;
/** CAPABILITIES are the capability plugins a host's settings can switch off (secrets always stays). */
export const CAPABILITIES = ['keyvalue', 'blobstore', 'config', 'logging', 'messaging'] as const;
/** Capability is one of CAPABILITIES. */
export type Capability = (typeof CAPABILITIES)[number];

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
  /** config is the config backend (default: nats with NATS, else memory). */
  readonly config?: (typeof BROKER_BACKENDS)[number] | undefined;
  /** logging is the guest log backend (same default rule as config). */
  readonly logging?: (typeof BROKER_BACKENDS)[number] | undefined;
  /** messaging is the message broker (same default rule as config). */
  readonly messaging?: (typeof BROKER_BACKENDS)[number] | undefined;
  /** disabled are capabilities the host does not provide: no plugin, so heartbeats do not announce them. */
  readonly disabled?: readonly Capability[] | undefined;
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

/** hostPlugins returns the capability plugins of a host with these backend settings, the disabled ones left out. */
export function hostPlugins(settings: BackendSettings): HostPlugin[] {
  const { nats, dataDir, redisUrl } = settings;
  const off = new Set<string>(settings.disabled ?? []);
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
  const broker = new Map<string, true>([['memory', true]]);
  if (nats) broker.set('nats', true);

  // One backend per type per host: providers have no poolKey, so every instance of a type shares it.
  const providers = <B>(made: Map<string, () => B>, skip: string): BackendProvider<B>[] =>
    [...made].filter(([type]) => type !== skip).map(([type, create]) => ({ type, create: () => create() }));
  const plugins: HostPlugin[] = [];
  if (!off.has('keyvalue')) {
    const kvType = pick('keyvalue', settings.keyvalue, kv, fallback);
    const keyvalue = keyvaluePlugin({
      backend: kv.get(kvType)!(),
      backendType: kvType,
      providers: providers(kv, kvType),
    });
    // With NATS by default, the NATS plugins keep their per-thread connections (ADR 0006).
    const kvThread = kvType === 'nats' ? natsThreadFor('keyvalue', natsOptions) : undefined;
    plugins.push(kvThread ? { ...keyvalue, thread: kvThread } : keyvalue);
  }
  if (!off.has('blobstore')) {
    const blobType = pick('blobstore', settings.blobstore, blob, fallback as 'memory');
    const blobstore = blobstorePlugin({
      backend: blob.get(blobType)!(),
      backendType: blobType,
      providers: providers(blob, blobType),
    });
    const blobThread = blobType === 'nats' ? natsThreadFor('blobstore', natsOptions) : undefined;
    plugins.push(blobThread ? { ...blobstore, thread: blobThread } : blobstore);
  }
  const brokerFallback = nats ? 'nats' : 'memory';
  const onNats = (what: 'config' | 'logging' | 'messaging') =>
    pick(what, settings[what], broker, brokerFallback) === 'nats' ? nats : undefined;
  if (!off.has('config')) {
    const on = onNats('config');
    const backend = on
      ? natsConfigBackend(on.nc, { timeoutMs: natsOptions.timeoutMs, bucket: natsOptions.configBucket })
      : memoryConfigBackend();
    plugins.push(configPlugin({ backend }));
  }
  if (!off.has('logging')) {
    const on = onNats('logging');
    plugins.push(loggingPlugin({ backend: on ? natsLogBackend(on.nc) : memoryLogBackend() }));
  }
  if (!off.has('messaging')) {
    const on = onNats('messaging');
    plugins.push(messagingPlugin({ backend: on ? natsMessagingBackend(on.nc) : memoryMessagingBackend() }));
  }
  plugins.push(secretsPlugin(), otelPlugin());
  return plugins;
}
