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

/**
 * reservedSubject says whether a subject (or the first token of a pattern) belongs to the
 * platform rather than to workloads: Skiff's control plane (`skiff.…`), NATS and JetStream
 * system subjects (`$…`, which reach other namespaces' key-value data), and inboxes. A
 * pattern starting with a wildcard would match all of those, so it is reserved too.
 */
export function reservedSubject(subject: string): boolean {
  const first = subject.split('.')[0] ?? '';
  return first === 'skiff' || first.startsWith('$') || first === '_INBOX' || first === '*' || first === '>';
}

/** REPLY_MEMORY is how many reply-to subjects of delivered messages a binding remembers. */
const REPLY_MEMORY = 1024;

/** MessagingPluginOptions configure messagingPlugin. */
export interface MessagingPluginOptions {
  readonly backend: MessagingBackend;
}

/** messagingPlugin returns the HostPlugin providing `wasmcloud:messaging` over `backend`. */
export function messagingPlugin(options: MessagingPluginOptions): HostPlugin {
  return {
    id: 'wasmcloud:messaging',
    versions: ['0.2.0'],
    imports: [CONSUMER, TYPES],
    exports: [HANDLER],
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
  // Queue groups are scoped by namespace: a workload cannot join another namespace's group.
  const queue =
    group === 'broadcast' ? undefined : `skiff.${namespace}.${group ?? `${name}.${ctx.component.name}`}`;
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

  // Reply subjects of messages this binding was handed: the only reserved subjects it may publish to.
  const replies = new Set<string>();

  async function publish(msg: BrokerMessage): Promise<void> {
    if (!validSubject(msg.subject)) throw `invalid subject "${msg.subject}"`;
    if (msg.replyTo !== undefined && !validSubject(msg.replyTo)) throw `invalid reply-to subject "${msg.replyTo}"`;
    if (reservedSubject(msg.subject) && !replies.delete(msg.subject)) throw `subject "${msg.subject}" is reserved`;
    if (msg.replyTo !== undefined && reservedSubject(msg.replyTo)) throw `reply-to subject "${msg.replyTo}" is reserved`;
    const traceparent = ctx.tracer?.traceparent();
    const { subject, body, replyTo } = msg;
    await run(() => backend.publish({ subject, body, replyTo, ...(traceparent ? { traceparent } : {}) }));
  }

  async function request(subject: string, body: Uint8Array, timeoutMs: number): Promise<BrokerMessage> {
    if (!validSubject(subject)) throw `invalid subject "${subject}"`;
    if (reservedSubject(subject)) throw `subject "${subject}" is reserved`;
    const reply = await run(() => backend.request(subject, body, timeoutMs));
    return { subject: reply.subject, body: reply.body, replyTo: reply.replyTo };
  }

  function deliver(msg: BrokerMessage): void {
    if (life.closed) return;
    if (msg.replyTo !== undefined) {
      replies.add(msg.replyTo);
      if (replies.size > REPLY_MEMORY) replies.delete(replies.values().next().value!);
    }
    // The guest sees the message, not its trace context; the handler's spans continue the publisher's trace.
    const { traceparent, ...message } = msg;
    const handle = () => ctx.invoke(HANDLER, 'handleMessage', [message]);
    const attributes = { 'messaging.system': 'wasmcloud', 'messaging.destination.name': msg.subject.slice(0, 256) };
    const delivered = ctx.tracer ? ctx.tracer.follow(traceparent, 'process', 'consumer', attributes, handle) : handle();
    delivered.catch((err) => {
      ctx.logger.warn({ subject: msg.subject, err: messageOf(err.payload ?? err) }, 'message handler failed');
    });
  }

  async function ready(): Promise<void> {
    const { subjects, queue } = subscriptionsOf(ctx);
    for (const subject of subjects) {
      if (!validPattern(subject) || reservedSubject(subject)) {
        ctx.logger.warn({ subject }, 'ignoring an invalid or reserved subscription subject');
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
