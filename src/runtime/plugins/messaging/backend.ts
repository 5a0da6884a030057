/**
 * The broker the messaging plugin talks to: publish, request/reply and subscriptions with
 * optional queue groups, with NATS subject semantics (`.`-separated tokens, `*` and `>`
 * wildcards in subscriptions).
 */

/** BrokerMessage is `wasmcloud:messaging/types.broker-message` as jco represents it. */
export interface BrokerMessage {
  readonly subject: string;
  readonly body: Uint8Array;
  readonly replyTo?: string | undefined;
  /**
   * traceparent is the W3C trace context the message travels with (a NATS header): set by
   * the plugin when the publishing call is traced, handed back on delivery, never shown to guests.
   */
  readonly traceparent?: string | undefined;
}

/** Subscription is an active subscription; `unsubscribe` stops deliveries. */
export interface Subscription {
  unsubscribe(): Promise<void> | void;
}

/** MessagingBackend is a message broker. Its methods reject with an Error whose message the guest sees. */
export interface MessagingBackend {
  /** publish sends `msg` to every matching subscription (one member per queue group). */
  publish(msg: BrokerMessage): Promise<void>;
  /** request publishes `body` with a fresh reply subject and resolves with the first reply; it rejects on timeout or when nobody listens. */
  request(subject: string, body: Uint8Array, timeoutMs: number): Promise<BrokerMessage>;
  /** subscribe calls `deliver` for every message on `subject`; with a `queue`, members of the group share the messages. */
  subscribe(subject: string, queue: string | undefined, deliver: (msg: BrokerMessage) => void): Promise<Subscription>;
  /** close drops every subscription and releases the connection. */
  close?(): Promise<void>;
}

/** subjectMatches tells whether `subject` matches the subscription `pattern` (`*` one token, `>` the rest). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** validSubject tells whether `subject` is a publishable subject: non-empty tokens, no spaces, no wildcards. */
export function validSubject(subject: string): boolean {
  return subject.length > 0 && subject.split('.').every((t) => t.length > 0 && !/[\s*>]/.test(t));
}

/** validPattern tells whether `pattern` is a valid subscription subject (wildcards allowed, `>` only last). */
export function validPattern(pattern: string): boolean {
  const tokens = pattern.split('.');
  const wellFormed = tokens.every((t) => t.length > 0 && !/\s/.test(t) && (t === '*' || t === '>' || !/[*>]/.test(t)));
  const gt = tokens.indexOf('>');
  return wellFormed && (gt === -1 || gt === tokens.length - 1);
}
