/**
 * The `wasmcloud:messaging@0.2.0` plugin: the guest imports `consumer` (publish, request)
 * and may export `handler`. Subjects to deliver to the handler come from the `subscriptions`
 * config key (comma-separated; the component's `config` wins over the grant's `config`, as
 * in wash-runtime). Replicas of one component share deliveries through a queue group unless
 * `consumer_group` is `broadcast`. Subscriptions start at `ready()` and stop at `close()`.
 */
import type { BindContext, HostPlugin, PluginBinding } from '../../plugin.js';
import { CLOSED_MESSAGE, Lifecycle, messageOf, only } from '../common.js';
import { type BrokerMessage, type MessagingBackend, type Subscription, validPattern, validSubject } from './backend.js';

export type { BrokerMessage, MessagingBackend, Subscription } from './backend.js';
export { subjectMatches, validPattern, validSubject } from './backend.js';
export { MemoryMessagingBackend, memoryMessagingBackend } from './memory.js';

/** CONSUMER is the unversioned name of `wasmcloud:messaging/consumer`. */
export const CONSUMER = 'wasmcloud:messaging/consumer';
/** TYPES is the unversioned name of `wasmcloud:messaging/types` (types only, no functions). */
export const TYPES = 'wasmcloud:messaging/types';
/** HANDLER is the unversioned name of the `wasmcloud:messaging/handler` guest export. */
export const HANDLER = 'wasmcloud:messaging/handler';
/** SUBSCRIPTIONS_KEY is the config key listing subjects to deliver to the handler. */
export const SUBSCRIPTIONS_KEY = 'subscriptions';
/** CONSUMER_GROUP_KEY is the config key naming the queue group; `broadcast` means none. */
export const CONSUMER_GROUP_KEY = 'consumer_group';

/** MessagingPluginOptions configure messagingPlugin. */
export interface MessagingPluginOptions {
  readonly backend: MessagingBackend;
}

/** messagingPlugin returns the HostPlugin providing `wasmcloud:messaging` over `backend`. */
export function messagingPlugin(options: MessagingPluginOptions): HostPlugin {
  return {
    id: 'wasmcloud:messaging',
    imports: [CONSUMER, TYPES],
    exports: [HANDLER],
    asyncImports: [`${CONSUMER}#publish`, `${CONSUMER}#request`],
    bind: (ctx) => bindMessaging(ctx, options.backend),
    stop: () => options.backend.close?.(),
  };
}

/** subscriptionsOf returns the handler's subjects and queue group for a binding, from config. */
export function subscriptionsOf(ctx: BindContext): { subjects: string[]; queue: string | undefined } {
  const grantConfig = ctx.grants.find((g) => g.namespace === 'wasmcloud' && g.package === 'messaging')?.config ?? {};
  const local = ctx.component.config ?? {};
  const raw = local[SUBSCRIPTIONS_KEY] ?? grantConfig[SUBSCRIPTIONS_KEY] ?? '';
  const subjects = [...new Set(raw.split(',').map((s) => s.trim()))].filter((s) => s !== '');
  const group = local[CONSUMER_GROUP_KEY] ?? grantConfig[CONSUMER_GROUP_KEY];
  const { namespace, name } = ctx.workload;
  const queue = group === 'broadcast' ? undefined : (group ?? `skiff.${namespace}.${name}.${ctx.component.name}`);
  return { subjects, queue };
}

function bindMessaging(ctx: BindContext, backend: MessagingBackend): PluginBinding {
  const life = new Lifecycle(ctx.signal);
  const subscriptions: Subscription[] = [];

  async function run<T>(fn: () => Promise<T>): Promise<T> {
    if (life.closed) throw CLOSED_MESSAGE;
    try {
      return await fn();
    } catch (err) {
      throw messageOf(err);
    }
  }

  async function publish(msg: BrokerMessage): Promise<void> {
    if (!validSubject(msg.subject)) throw `invalid subject "${msg.subject}"`;
    if (msg.replyTo !== undefined && !validSubject(msg.replyTo)) throw `invalid reply-to subject "${msg.replyTo}"`;
    await run(() => backend.publish(msg));
  }

  async function request(subject: string, body: Uint8Array, timeoutMs: number): Promise<BrokerMessage> {
    if (!validSubject(subject)) throw `invalid subject "${subject}"`;
    const reply = await run(() => backend.request(subject, body, timeoutMs));
    return { subject: reply.subject, body: reply.body, replyTo: reply.replyTo };
  }

  function deliver(msg: BrokerMessage): void {
    if (life.closed) return;
    ctx.invoke(HANDLER, 'handleMessage', [msg]).catch((err) => {
      ctx.logger.warn({ subject: msg.subject, err: messageOf(err.payload ?? err) }, 'message handler failed');
    });
  }

  async function ready(): Promise<void> {
    const { subjects, queue } = subscriptionsOf(ctx);
    for (const subject of subjects) {
      if (!validPattern(subject)) {
        ctx.logger.warn({ subject }, 'ignoring invalid subscription subject');
        continue;
      }
      subscriptions.push(await backend.subscribe(subject, queue, deliver));
    }
    if (subscriptions.length > 0) ctx.logger.debug({ subjects, queue }, 'messaging subscriptions started');
  }

  async function close(): Promise<void> {
    life.close();
    await Promise.all(subscriptions.splice(0).map((s) => s.unsubscribe()));
  }

  // `types` holds only types; it comes with `consumer` even when the grant does not name it.
  const imports = only(ctx, { [CONSUMER]: { publish, request }, [TYPES]: {} });
  if (imports[CONSUMER]) imports[TYPES] = {};
  return { imports, ready, close };
}
