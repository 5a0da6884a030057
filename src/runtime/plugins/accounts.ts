/**
 * accountPlugins: the NATS-backed capability plugins of a host in account mode (ADR 0022).
 * Each workload's capabilities run on the connection of its namespace's account, so one
 * namespace's guests cannot name another's data: a binding leases the namespace connection
 * (opened on first use), the namespace's backends are built on it once and shared by its
 * workloads, and both go away with the last binding of that namespace. Keyvalue and
 * blobstore bindings tell workload threads to open a (thread, namespace) connection of their
 * own with the same credentials.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { NamespaceConnections } from '../../nats/accounts/namespaces.js';
import type { NatsSettings } from '../../nats/config.js';
import type { BindContext, HostPlugin, PluginBinding, PluginContext, ThreadPlugin } from '../plugin.js';
import { threadModule } from '../threads.js';
import { blobstorePlugin, memoryBlobstoreBackend } from './blobstore/index.js';
import { natsBlobstoreBackend } from './blobstore/nats.js';
import { configPlugin, memoryConfigBackend } from './config/index.js';
import { natsConfigBackend } from './config/nats.js';
import { keyvaluePlugin, memoryKeyValueBackend } from './keyvalue/index.js';
import { natsKeyValueBackend } from './keyvalue/nats.js';
import { loggingPlugin, memoryLogBackend } from './logging/index.js';
import { natsLogBackend } from './logging/nats.js';
import { memoryMessagingBackend, messagingPlugin } from './messaging/index.js';
import { natsMessagingBackend } from './messaging/nats.js';
import { secretsPlugin } from './secrets/index.js';
import type { NatsThreadPluginOptions } from './threads/nats.js';

/** AccountPluginsOptions tune the backends accountPlugins builds per namespace. */
export interface AccountPluginsOptions {
  readonly timeoutMs?: number;
  readonly prefix?: string;
  readonly configBucket?: string;
  /** threads, when set, lets workload threads open (thread, namespace) connections for keyvalue and blobstore. */
  readonly threads?: { readonly settings: NatsSettings; readonly name?: string } | undefined;
}

interface Shared {
  readonly plugin: Promise<HostPlugin>;
  refs: number;
}

const threadPluginUrl = threadModule('threads/nats', import.meta.url).href;

/**
 * perNamespace wraps a plugin factory: `template` gives what the host announces (its
 * interfaces and versions; its backend is never used), `make` builds the real plugin on a
 * namespace's connection.
 */
function perNamespace(
  connections: NamespaceConnections,
  template: HostPlugin,
  make: (nc: NatsConnection) => HostPlugin,
  thread?: (namespace: string, jwt: string) => ThreadPlugin,
): HostPlugin {
  const shared = new Map<string, Shared>();
  let context: PluginContext | undefined;
  const { bind: _bind, start: _start, stop: _stop, thread: _thread, ...announced } = template;
  return {
    ...announced,
    start(ctx) {
      context = ctx;
    },
    async stop() {
      const all = [...shared.values()];
      shared.clear();
      for (const s of all) await s.plugin.then((p) => p.stop?.()).catch(() => undefined);
    },
    async bind(ctx: BindContext): Promise<PluginBinding> {
      const namespace = ctx.workload.namespace;
      const lease = await connections.acquire(namespace);
      let entry = shared.get(namespace);
      try {
        if (!entry) {
          const plugin = (async () => {
            const p = make(lease.nc);
            if (context) await p.start?.(context);
            return p;
          })();
          entry = { plugin, refs: 0 };
          shared.set(namespace, entry);
        }
        entry.refs++;
        const binding = await (await entry.plugin).bind(ctx);
        const held = entry;
        let closed = false;
        // A thread copy keeps the JWT it was built with: an expiring one is served from the main
        // thread, whose connection logs in with the newest JWT the operator sent (ADR 0022).
        const jwt = connections.credentials.jwt(namespace);
        const lasting = connections.credentials.expires(namespace) === undefined;
        return {
          ...binding,
          ...(thread && jwt && lasting ? { thread: thread(namespace, jwt) } : {}),
          async close() {
            if (closed) return;
            closed = true;
            await binding.close?.();
            held.refs--;
            if (held.refs === 0 && shared.get(namespace) === held) {
              shared.delete(namespace);
              await held.plugin.then((p) => p.stop?.()).catch(() => undefined);
            }
            await lease.release();
          },
        };
      } catch (err) {
        // A plugin left without bindings goes with its lease: it must not outlive the connection.
        if (entry && --entry.refs === 0 && shared.get(namespace) === entry) {
          shared.delete(namespace);
          await entry.plugin.then((p) => p.stop?.()).catch(() => undefined);
        }
        await lease.release();
        throw err;
      }
    },
  };
}

/** accountPlugins returns every capability plugin backed by NATS, each workload on its namespace's account. */
export function accountPlugins(connections: NamespaceConnections, options: AccountPluginsOptions = {}): HostPlugin[] {
  const { timeoutMs, prefix, configBucket, threads } = options;
  const thread =
    (plugin: 'keyvalue' | 'blobstore') =>
    (namespace: string, jwt: string): ThreadPlugin => {
      const opts: NatsThreadPluginOptions = {
        plugin,
        settings: threads!.settings,
        name: threads!.name,
        timeoutMs,
        prefix,
        account: { namespace, jwt, seed: connections.credentials.seed },
      };
      return { module: threadPluginUrl, factory: 'natsThreadPlugin', options: opts };
    };
  const backend = { timeoutMs, prefix };
  return [
    perNamespace(
      connections,
      keyvaluePlugin({ backend: memoryKeyValueBackend() }),
      (nc) => keyvaluePlugin({ backend: natsKeyValueBackend(nc, backend), backendType: 'nats' }),
      threads && thread('keyvalue'),
    ),
    perNamespace(
      connections,
      blobstorePlugin({ backend: memoryBlobstoreBackend() }),
      (nc) => blobstorePlugin({ backend: natsBlobstoreBackend(nc, backend), backendType: 'nats' }),
      threads && thread('blobstore'),
    ),
    perNamespace(connections, configPlugin({ backend: memoryConfigBackend() }), (nc) =>
      configPlugin({ backend: natsConfigBackend(nc, { timeoutMs, bucket: configBucket }) }),
    ),
    perNamespace(connections, loggingPlugin({ backend: memoryLogBackend() }), (nc) =>
      loggingPlugin({ backend: natsLogBackend(nc) }),
    ),
    perNamespace(connections, messagingPlugin({ backend: memoryMessagingBackend() }), (nc) =>
      messagingPlugin({ backend: natsMessagingBackend(nc) }),
    ),
    secretsPlugin(),
  ];
}
