/**
 * The in-memory broker: one bus per backend instance, shared by every workload on the
 * host. Deliveries happen on a later microtask, never inside the publisher's call.
 */
import { randomUUID } from 'node:crypto';
import { type BrokerMessage, type MessagingBackend, type Subscription, subjectMatches } from './backend.js';

interface Sub {
  readonly pattern: string;
  readonly queue: string | undefined;
  readonly deliver: (msg: BrokerMessage) => void;
}

/** MemoryMessagingBackend is a process-local message bus with NATS subject and queue-group semantics. */
export class MemoryMessagingBackend implements MessagingBackend {
  readonly #subs = new Set<Sub>();
  readonly #turns = new Map<string, number>();

  async publish(msg: BrokerMessage): Promise<void> {
    const copy: BrokerMessage = {
      subject: msg.subject,
      body: msg.body.slice(),
      replyTo: msg.replyTo,
      ...(msg.traceparent ? { traceparent: msg.traceparent } : {}),
    };
    for (const sub of this.#receivers(msg.subject)) queueMicrotask(() => sub.deliver(copy));
  }

  async request(subject: string, body: Uint8Array, timeoutMs: number): Promise<BrokerMessage> {
    if (this.#receivers(subject).length === 0) throw new Error(`no responders for subject "${subject}"`);
    const inbox = `_INBOX.${randomUUID().replaceAll('-', '')}`;
    return new Promise<BrokerMessage>((resolve, reject) => {
      const sub: Sub = {
        pattern: inbox,
        queue: undefined,
        deliver: (reply) => {
          this.#subs.delete(sub);
          clearTimeout(timer);
          resolve(reply);
        },
      };
      const timer = setTimeout(() => {
        this.#subs.delete(sub);
        reject(new Error(`request to "${subject}" timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#subs.add(sub);
      void this.publish({ subject, body, replyTo: inbox });
    });
  }

  async subscribe(
    subject: string,
    queue: string | undefined,
    deliver: (msg: BrokerMessage) => void,
  ): Promise<Subscription> {
    const sub: Sub = { pattern: subject, queue, deliver };
    this.#subs.add(sub);
    return { unsubscribe: () => void this.#subs.delete(sub) };
  }

  async close(): Promise<void> {
    this.#subs.clear();
  }

  // receivers returns every plain subscriber plus one member of each queue group, round robin.
  #receivers(subject: string): Sub[] {
    const plain: Sub[] = [];
    const groups = new Map<string, Sub[]>();
    for (const sub of this.#subs) {
      if (!subjectMatches(sub.pattern, subject)) continue;
      if (sub.queue === undefined) plain.push(sub);
      else groups.set(sub.queue, [...(groups.get(sub.queue) ?? []), sub]);
    }
    for (const [queue, members] of groups) {
      const turn = this.#turns.get(queue) ?? 0;
      this.#turns.set(queue, turn + 1);
      plain.push(members[turn % members.length]!);
    }
    return plain;
  }
}

/** memoryMessagingBackend returns a fresh in-memory message bus. */
export function memoryMessagingBackend(): MemoryMessagingBackend {
  return new MemoryMessagingBackend();
}
