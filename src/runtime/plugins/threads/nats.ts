/**
 * natsThreadPlugin builds, inside a workload thread, a copy of a NATS-backed plugin with a
 * connection of the thread's own, so a guest's keyvalue or blobstore call costs one NATS
 * round trip and no trip to the main thread. The main thread's natsPlugins names this
 * module in each plugin's `thread` field; the workload thread imports it by URL. In account
 * mode (ADR 0022) a copy serves one namespace: it connects with that namespace's user JWT,
 * and closes its connection when the last component bound to it closes (the next binding
 * connects again).
 */
import { jwtAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { NatsSettings } from '../../../nats/config.js';
import { connectNats } from '../../../nats/connection.js';
import type { BindContext, HostPlugin, ThreadPluginContext } from '../../plugin.js';
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
  /** account, in account mode, is the namespace this copy serves and the host's user JWT and seed for it. */
  readonly account?: { readonly namespace: string; readonly jwt: string; readonly seed: string } | undefined;
}

function build(options: NatsThreadPluginOptions, nc: NatsConnection): HostPlugin {
  const backendOptions = { timeoutMs: options.timeoutMs, prefix: options.prefix };
  return options.plugin === 'keyvalue'
    ? keyvaluePlugin({ backend: natsKeyValueBackend(nc, backendOptions), backendType: 'nats' })
    : blobstorePlugin({ backend: natsBlobstoreBackend(nc, backendOptions), backendType: 'nats' });
}

/**
 * natsThreadPlugin connects (failing fast if NATS cannot be reached now: the thread then
 * serves through the main thread) and returns the plugin on that connection; stopping the
 * plugin closes the connection.
 */
export async function natsThreadPlugin(
  options: NatsThreadPluginOptions,
  ctx: ThreadPluginContext,
): Promise<HostPlugin> {
  if (options.account) return accountThreadPlugin(options, options.account, ctx);
  const nc: NatsConnection = await connectNats(options.settings, {
    name: options.name ?? `skiff-host ${ctx.hostId} thread`,
    logger: ctx.logger,
  });
  // A traced host's requests become spans under the guest call that made them.
  const plugin = build(options, ctx.tracer ? tracedNats(nc, ctx.tracer) : nc);
  return {
    ...plugin,
    async stop() {
      await plugin.stop?.();
      await nc.close();
    },
  };
}

async function accountThreadPlugin(
  options: NatsThreadPluginOptions,
  account: NonNullable<NatsThreadPluginOptions['account']>,
  ctx: ThreadPluginContext,
): Promise<HostPlugin> {
  const connect = async () => {
    const nc = await connectNats(options.settings, {
      name: `${options.name ?? `skiff-host ${ctx.hostId} thread`} ${account.namespace}`,
      logger: ctx.logger,
      authenticator: jwtAuthenticator(account.jwt, new TextEncoder().encode(account.seed)),
    });
    return { nc, plugin: build(options, ctx.tracer ? tracedNats(nc, ctx.tracer) : nc) };
  };
  // The first connection is made now, so a thread that cannot connect serves through the main thread.
  let current: Promise<{ nc: NatsConnection; plugin: HostPlugin }> | undefined = connect();
  const first = await current;
  let refs = 0;
  const closeCurrent = async () => {
    const c = current;
    current = undefined;
    const held = await c?.catch(() => undefined);
    await held?.plugin.stop?.();
    await held?.nc.close().catch(() => undefined);
  };
  return {
    ...first.plugin,
    async stop() {
      await closeCurrent();
    },
    async bind(bctx: BindContext) {
      if (bctx.workload.namespace !== account.namespace) {
        throw new Error(`this NATS connection serves namespace ${account.namespace}, not ${bctx.workload.namespace}`);
      }
      current ??= connect();
      refs++;
      let binding: Awaited<ReturnType<HostPlugin['bind']>>;
      try {
        binding = await (await current).plugin.bind(bctx);
      } catch (err) {
        if (--refs === 0) await closeCurrent();
        throw err;
      }
      let closed = false;
      return {
        ...binding,
        async close() {
          if (closed) return;
          closed = true;
          await binding.close?.();
          if (--refs === 0) await closeCurrent();
        },
      };
    },
  };
}
