/**
 * tracedNats wraps a NATS connection so that the plugins built on it join traces: every
 * request (JetStream API calls of the keyvalue and blobstore backends, messaging requests)
 * is a CLIENT span under the traced guest call, and requests and publishes carry the W3C
 * `traceparent` of the span they are made under in a NATS header. Everything else is the
 * connection itself.
 */
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import type { PluginTracer } from '../plugin.js';

/** TRACEPARENT_HEADER is the NATS header that carries W3C trace context. */
export const TRACEPARENT_HEADER = 'traceparent';

function withTraceparent<O extends { headers?: MsgHdrs } | undefined>(options: O, traceparent: string | undefined): O {
  if (traceparent === undefined) return options;
  const h = options?.headers ?? natsHeaders();
  h.set(TRACEPARENT_HEADER, traceparent);
  return { ...(options ?? {}), headers: h } as O;
}

/** tracedNats returns `nc` with traced `request` and `publish`; the original keeps working untraced. */
export function tracedNats(nc: NatsConnection, tracer: PluginTracer): NatsConnection {
  const request: NatsConnection['request'] = (subject, payload, options) =>
    tracer.span(
      'nats request',
      'client',
      { 'messaging.system': 'nats', 'messaging.destination.name': subject.slice(0, 256) },
      (traceparent) => nc.request(subject, payload, withTraceparent(options, traceparent)),
    );
  const publish: NatsConnection['publish'] = (subject, payload, options) =>
    nc.publish(subject, payload, withTraceparent(options, tracer.traceparent()));
  return new Proxy(nc, {
    get(target, prop) {
      if (prop === 'request') return request;
      if (prop === 'publish') return publish;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
