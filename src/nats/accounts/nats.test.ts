import { Kvm } from '@nats-io/kv';
import { createOperator, createUser } from '@nats-io/nkeys';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type TestNatsServer } from '../../../test/support/nats.js';
import {
  credentials,
  DEFAULT_NAMESPACE_QUOTA,
  ensureAccount,
  listAccounts,
  lookupAccount,
  NatsIdentity,
  natsServerConfig,
} from './index.js';

const operator = createOperator();
const identity = new NatsIdentity(operator);
let server: TestNatsServer;
const open: NatsConnection[] = [];

async function connectAs(creds: string): Promise<NatsConnection> {
  const nc = await connect({
    servers: server.url,
    authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
    reconnect: false,
  });
  open.push(nc);
  return nc;
}

beforeAll(async () => {
  server = await startNats({ configure: ({ resolverDir }) => natsServerConfig(identity, { resolverDir }) });
});
afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close()));
  await server?.stop();
});

describe('NATS operator mode', () => {
  it('gives JetStream to every namespace, however many (the server reserves per-account byte limits)', async () => {
    const sys = await connectAs((await identity.systemUser()).creds);
    for (let i = 0; i < 16; i++) {
      const ns = `many-${i}`;
      await ensureAccount(sys, await identity.namespaceAccountJwt(ns));
      const user = createUser();
      const nc = await connectAs(credentials(await identity.namespaceUserJwt(ns, user.getPublicKey()), user).creds);
      const kv = await new Kvm(nc).create(`skiff_${ns}_b`);
      await kv.put('k', ns);
      expect((await kv.get('k'))?.string()).toBe(ns);
      await nc.close();
    }
  });

  it('pushes a namespace account once, and a namespace user uses its own KV bucket', async () => {
    const sys = await connectAs((await identity.systemUser()).creds);
    const jwt = await identity.namespaceAccountJwt('shop');
    expect(await lookupAccount(sys, identity.namespaceAccountKey('shop'))).toBeUndefined();
    expect(await ensureAccount(sys, jwt)).toBe(true);
    expect(await lookupAccount(sys, identity.namespaceAccountKey('shop'))).toBe(jwt);
    expect((await listAccounts(sys)).has(identity.namespaceAccountKey('shop'))).toBe(true);
    // the same claims signed again are not pushed again; changed claims are
    expect(await ensureAccount(sys, await identity.namespaceAccountJwt('shop'))).toBe(false);
    const bigger = new NatsIdentity(operator, {
      namespaceQuota: { ...DEFAULT_NAMESPACE_QUOTA, streams: 2 * DEFAULT_NAMESPACE_QUOTA.streams },
    });
    expect(await ensureAccount(sys, await bigger.namespaceAccountJwt('shop'))).toBe(true);
    expect(await ensureAccount(sys, await bigger.namespaceAccountJwt('shop'))).toBe(false);

    const user = createUser();
    const nc = await connectAs(credentials(await identity.namespaceUserJwt('shop', user.getPublicKey()), user).creds);
    const kv = await new Kvm(nc).create('skiff_shop_orders');
    await kv.put('a', 'one');
    expect((await kv.get('a'))?.string()).toBe('one');
  });

  it('refuses a user of a namespace whose account was never pushed', async () => {
    const user = createUser();
    const creds = credentials(await identity.namespaceUserJwt('nowhere', user.getPublicKey()), user).creds;
    await expect(connectAs(creds)).rejects.toThrow(/authoriz|auth/i);
  });

  it('refuses an expired user JWT', async () => {
    const sys = await connectAs((await identity.systemUser()).creds);
    await ensureAccount(sys, await identity.namespaceAccountJwt('old'));
    const user = createUser();
    const past = Math.floor(Date.now() / 1000) - 3600;
    const jwt = await identity.namespaceUserJwt('old', user.getPublicKey(), { now: past, expiresInSeconds: 60 });
    await expect(connectAs(credentials(jwt, user).creds)).rejects.toThrow(/authoriz|auth|expired/i);
  });
});
