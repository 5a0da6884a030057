import { describe, expect, it } from 'vitest';
import { useNats, useNatsConnections } from '../../../../test/support/nats.js';
import { settles, waitFor } from '../../../../test/support/wait.js';
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
    const outcomes: { ok: boolean; err?: unknown }[] = [];
    let running = true;
    const traffic = (async () => {
      for (let i = 0; running; i++) {
        try {
          // Promptly: a request still waiting long after its 500 ms timeout fails the test.
          await settles('a request', request('svc.echo', bytes(`${i}`), 500), 5000);
          outcomes.push({ ok: true });
        } catch (err) {
          outcomes.push({ ok: false, err });
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    await waitFor('calls to succeed before the outage', () => outcomes.filter((o) => o.ok).length > 20);
    await server().down();
    await waitFor('calls to fail during the outage', () => outcomes.filter((o) => !o.ok).length >= 5);
    const before = replica.got.length;
    await server().up();
    const mark = outcomes.length;
    await waitFor('a call to succeed after the restart', () => outcomes.slice(mark).some((o) => o.ok), 20_000);
    running = false;
    await traffic;
    const failed = outcomes.filter((o) => !o.ok);
    for (const f of failed) expect(f.err).toEqual(expect.any(String));
    expect(replica.got.length).toBeGreaterThan(before);
  });

});
