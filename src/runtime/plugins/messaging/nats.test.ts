import { describe, expect, it } from 'vitest';
import { useNats, useNatsConnections } from '../../../../test/support/nats.js';
import { callThroughOutage } from '../../../../test/support/outage.js';
import { bindFor, bytes, fn, text, thrown } from '../testing.js';
import type { BrokerMessage } from './backend.js';
import { messagingContract } from './contract.js';
import { CONSUMER, messagingPlugin } from './index.js';
import { natsMessagingBackend } from './nats.js';

const server = useNats();
const connection = useNatsConnections(server);
const grant = (config?: Record<string, string>) => ({
  namespace: 'wasmcloud',
  package: 'messaging',
  interfaces: ['consumer', 'handler'],
  version: '0.2.0',
  ...(config ? { config } : {}),
});

messagingContract('nats', async () => natsMessagingBackend(await connection()));

// echoHost binds a replica on its own connection (its own "host") that answers `echo` requests.
async function echoHost(name: string) {
  const nc = await connection();
  const plugin = messagingPlugin({ backend: natsMessagingBackend(nc) });
  const got: BrokerMessage[] = [];
  const self = await bindFor(plugin, {
    namespace: 'ns',
    name: 'echo',
    grants: [grant({ subscriptions: 'svc.echo' })],
    invoke: async (_iface, _func, args) => {
      const msg = args[0] as BrokerMessage;
      got.push(msg);
      await fn(self, CONSUMER, 'publish')({ subject: msg.replyTo, body: bytes(`${name}: ${text(msg.body)}`) });
    },
  });
  await self.binding.ready?.();
  return { nc, got };
}

describe('wasmcloud:messaging on NATS', () => {
  it('refuses subjects too long for NATS, so a guest cannot get the host disconnected', async () => {
    const nc = await connection();
    let disconnects = 0;
    void (async () => {
      for await (const st of nc.status()) if (st.type === 'disconnect') disconnects++;
    })();
    const client = await bindFor(messagingPlugin({ backend: natsMessagingBackend(nc) }), { grants: [grant()] });
    const long = `a.${'x'.repeat(5000)}`;
    expect(await thrown(fn(client, CONSUMER, 'publish')({ subject: long, body: bytes('') }))).toEqual(
      expect.stringContaining('too long'),
    );
    expect(await thrown(fn(client, CONSUMER, 'request')(long, bytes(''), 100))).toEqual(
      expect.stringContaining('too long'),
    );
    await nc.flush();
    expect(disconnects).toBe(0);
  });

  it('shares requests between replicas on two hosts through the queue group', async () => {
    const [a, b] = [await echoHost('a'), await echoHost('b')];
    const client = await bindFor(messagingPlugin({ backend: natsMessagingBackend(await connection()) }), {
      grants: [grant()],
    });
    const request = fn(client, CONSUMER, 'request');
    for (let i = 0; i < 200; i++)
      expect(text((await request('svc.echo', bytes(`${i}`), 2000)).body)).toMatch(/^[ab]: /);
    expect(a.got.length + b.got.length).toBe(200);
    expect(a.got.length).toBeGreaterThan(0);
    expect(b.got.length).toBeGreaterThan(0);
  });

  it('fails calls promptly during a nats-server restart and restores subscriptions after it', async () => {
    const replica = await echoHost('r');
    const client = await bindFor(messagingPlugin({ backend: natsMessagingBackend(await connection()) }), {
      grants: [grant()],
    });
    const request = fn(client, CONSUMER, 'request');
    let before = 0;
    const outcomes = await callThroughOutage(
      (i) => request('svc.echo', bytes(`${i}`), 500),
      server(),
      () => {
        before = replica.got.length;
      },
    );
    const failed = outcomes.filter((o) => !o.ok);
    for (const f of failed) expect(f.err).toEqual(expect.any(String));
    expect(replica.got.length).toBeGreaterThan(before);
  });
});
