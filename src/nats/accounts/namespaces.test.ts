import { createOperator, createUser } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { NamespaceCredentials, NatsIdentity } from './index.js';

const identity = new NatsIdentity(createOperator());

describe('NamespaceCredentials', () => {
  it("keeps the newest JWT of each namespace for the host's own key", async () => {
    const creds = new NamespaceCredentials();
    expect(creds.jwt('shop')).toBeUndefined();
    expect(() => creds.require('shop')).toThrow(expect.objectContaining({ code: 'SKIFF_NATS_CREDENTIALS_MISSING' }));
    const older = await identity.namespaceUserJwt('shop', creds.userKey, { now: 1_000_000 });
    const newer = await identity.namespaceUserJwt('shop', creds.userKey, { now: 2_000_000 });
    creds.accept('shop', newer);
    creds.accept('shop', older); // a delayed message does not win
    expect(creds.require('shop')).toBe(newer);
  });

  it("refuses another key's JWT, a forged signature, a non-user JWT and an expired one", async () => {
    let now = Date.now();
    const creds = new NamespaceCredentials({ now: () => now });
    const code = { code: 'SKIFF_NATS_CREDENTIALS_INVALID' };
    const theirs = await identity.namespaceUserJwt('shop', createUser().getPublicKey());
    expect(() => creds.accept('shop', theirs)).toThrow(expect.objectContaining(code));
    const mine = await identity.namespaceUserJwt('shop', creds.userKey);
    const forged = `${mine.slice(0, mine.lastIndexOf('.'))}.${Buffer.alloc(64).toString('base64url')}`;
    expect(() => creds.accept('shop', forged)).toThrow(expect.objectContaining(code));
    const account = await identity.namespaceAccountJwt('shop');
    expect(() => creds.accept('shop', account)).toThrow(expect.objectContaining(code));
    const short = await identity.namespaceUserJwt('shop', creds.userKey, { expiresInSeconds: 60 });
    creds.accept('shop', short);
    expect(creds.expires('shop')).toBeGreaterThan(now / 1000);
    now += 61_000;
    expect(creds.jwt('shop')).toBeUndefined();
    expect(() => creds.accept('shop', short)).toThrow(expect.objectContaining(code));
  });

  it('shares its key with a workload thread through the seed', () => {
    const main = new NamespaceCredentials();
    expect(new NamespaceCredentials({ seed: main.seed }).userKey).toBe(main.userKey);
  });
});
