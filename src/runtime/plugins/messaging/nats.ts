/**
 * The NATS messaging backend: core NATS on the host's connection. `publish` and `request`
 * go straight to NATS (no responders and timeouts become error strings the guest sees);
 * subscriptions are NATS subscriptions with the plugin's queue group, so replicas on any
 * host share the messages. nats.js re-subscribes after a reconnect by itself; while the
 * connection is down, calls fail at once instead of queueing.
 */
import { headers, type NatsConnection, NoRespondersError, type PublishOptions, TimeoutError } from '@nats-io/transport-node';
import { checkNatsName, natsCall, natsDown } from '../common.js';
import type { BrokerMessage, MessagingBackend, Subscription } from './backend.js';

function causes(err: unknown): unknown[] {
  const all: unknown[] = [];
  for (let e: unknown = err; e instanceof Error && all.length < 5; e = e.cause) all.push(e);
  return all;
}

/** NatsMessagingBackend is a MessagingBackend on core NATS. */
export class NatsMessagingBackend implements MessagingBackend {
  readonly #nc: NatsConnection;
  readonly #subs = new Set<{ unsubscribe(): void }>();

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    natsDown(nc); // start following the connection's status now
  }

  async publish(msg: BrokerMessage): Promise<void> {
    checkNatsName('subject', msg.subject);
    if (msg.replyTo) checkNatsName('reply-to subject', msg.replyTo);
    const options: PublishOptions = {};
    if (msg.replyTo) options.reply = msg.replyTo;
    if (msg.traceparent) {
      options.headers = headers();
      options.headers.set('traceparent', msg.traceparent);
    }
    await natsCall(this.#nc, 0, `publish to "${msg.subject}"`, async () => {
      this.#nc.publish(msg.subject, msg.body, options);
    });
  }

  async request(subject: string, body: Uint8Array, timeoutMs: number): Promise<BrokerMessage> {
    checkNatsName('subject', subject);
    try {
      const reply = await natsCall(this.#nc, 0, `request to "${subject}"`, () =>
        this.#nc.request(subject, body, { timeout: timeoutMs }),
      );
      return { subject: reply.subject, body: reply.data, replyTo: reply.reply || undefined };
    } catch (err) {
      const chain = causes(err);
      if (chain.some((e) => e instanceof NoRespondersError)) throw new Error(`no responders for subject "${subject}"`);
      if (chain.some((e) => e instanceof TimeoutError)) {
        throw new Error(`request to "${subject}" timed out after ${timeoutMs} ms`);
      }
      throw err;
    }
  }

  async subscribe(
    subject: string,
    queue: string | undefined,
    deliver: (msg: BrokerMessage) => void,
  ): Promise<Subscription> {
    checkNatsName('subscription subject', subject);
    const sub = this.#nc.subscribe(subject, {
      ...(queue !== undefined ? { queue } : {}),
      callback: (err, m) => {
        if (err) return;
        const traceparent = m.headers?.get('traceparent') || undefined;
        deliver({ subject: m.subject, body: m.data, replyTo: m.reply || undefined, ...(traceparent ? { traceparent } : {}) });
      },
    });
    this.#subs.add(sub);
    return {
      unsubscribe: () => {
        this.#subs.delete(sub);
        sub.unsubscribe();
      },
    };
  }

  /** close drops this backend's subscriptions; the connection belongs to the caller. */
  async close(): Promise<void> {
    for (const sub of this.#subs) sub.unsubscribe();
    this.#subs.clear();
  }
}

/** natsMessagingBackend returns a messaging backend on core NATS over `nc`. */
export function natsMessagingBackend(nc: NatsConnection): NatsMessagingBackend {
  return new NatsMessagingBackend(nc);
}
