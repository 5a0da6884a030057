/**
 * natsThreadPlugin builds, inside a workload thread, a copy of a NATS-backed plugin with a
 * connection of the thread's own, so a guest's keyvalue or blobstore call costs one NATS
 * round trip and no trip to the main thread. The main thread's natsPlugins names this
 * module in each plugin's `thread` field; the workload thread imports it by URL.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsSettings } from '../../../nats/config.js';
import { connectNats } from '../../../nats/connection.js';
import type { HostPlugin, ThreadPluginContext } from '../../plugin.js';
import { blobstorePlugin } from '../blobstore/index.js';
import { natsBlobstoreBackend } from '../blobstore/nats.js';
import { keyvaluePlugin } from '../keyvalue/index.js';
import { natsKeyValueBackend } from '../keyvalue/nats.js';
import { tracedNats } from '../traced-nats.js';

/** NatsThreadPluginOptions say which plugin to build and how to reach NATS (plain data). */
export interface NatsThreadPluginOptions {
  readonly plugin: 'keyvalue' | 'blobstore';
  readonly settings: NatsSettings;
  /** name is the connection's name on the server (the thread adds nothing to it). */
  readonly name?: string | undefined;
  readonly timeoutMs?: number | undefined;
  readonly prefix?: string | undefined;
}

/**
 * natsThreadPlugin connects (failing fast if NATS cannot be reached now: the thread then
 * serves through the main thread) and returns the plugin on that connection; stopping the
 * plugin closes the connection.
 */
export async function natsThreadPlugin(options: NatsThreadPluginOptions, ctx: ThreadPluginContext): Promise<HostPlugin> {
  const nc: NatsConnection = await connectNats(options.settings, {
    name: options.name ?? `skiff-host ${ctx.hostId} thread`,
    logger: ctx.logger,
  });
  const backendOptions = { timeoutMs: options.timeoutMs, prefix: options.prefix };
  // A traced host's requests become spans under the guest call that made them.
  const conn = ctx.tracer ? tracedNats(nc, ctx.tracer) : nc;
  const plugin =
    options.plugin === 'keyvalue'
      ? keyvaluePlugin({ backend: natsKeyValueBackend(conn, backendOptions), backendType: 'nats' })
      : blobstorePlugin({ backend: natsBlobstoreBackend(conn, backendOptions), backendType: 'nats' });
  return {
    ...plugin,
    async stop() {
      await plugin.stop?.();
      await nc.close();
    },
  };
}
