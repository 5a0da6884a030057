import { decode, type User } from '@nats-io/jwt';
import { createOperator, createUser, fromPublic } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { claimsOf, credentials, NatsIdentity, namespaceAccountName, parseOperatorSeed } from './index.js';

const operator = createOperator();
const identity = new NatsIdentity(operator);

describe('NatsIdentity', () => {
  it('derives the same account keys from the same operator seed, different ones per namespace', () => {
    const again = new NatsIdentity(parseOperatorSeed(new TextDecoder().decode(operator.getSeed())));
    expect(again.namespaceAccountKey('shop')).toBe(identity.namespaceAccountKey('shop'));
    expect(identity.namespaceAccountKey('shop')).not.toBe(identity.namespaceAccountKey('shop2'));
    expect(identity.namespaceAccountKey('shop')).toMatch(/^A[A-Z2-7]{55}$/);
    const other = new NatsIdentity(createOperator());
    expect(other.namespaceAccountKey('shop')).not.toBe(identity.namespaceAccountKey('shop'));
    expect(() => namespaceAccountName('Shop_1')).toThrow(RangeError);
  });

  it('signs namespace accounts with the operator key and JetStream limits', async () => {
    const c = decode<{ limits: Record<string, number> }>(await identity.namespaceAccountJwt('shop'));
    expect(c.iss).toBe(identity.operatorKey);
    expect(c.sub).toBe(identity.namespaceAccountKey('shop'));
    expect(c.name).toBe('skiff-ns-shop');
    // JetStream on (a stream cap), no byte reservation: the server reserves byte limits per account (ADR 0022).
    expect(c.nats.limits?.disk_storage).toBe(-1);
    expect(c.nats.limits?.mem_storage).toBe(-1);
    expect(c.nats.limits?.streams).toBeGreaterThan(0);
    expect(c.nats.limits?.conn).toBe(-1);
    const op = decode<{ system_account: string }>(await identity.operatorJwt());
    expect(op.nats.system_account).toBe(identity.systemAccountKey);
  });

  it('signs user JWTs in the namespace account, not bearer, with expiry only when asked', async () => {
    const user = createUser().getPublicKey();
    const jwt = await identity.namespaceUserJwt('shop', user);
    const c = decode<User>(jwt);
    expect([c.sub, c.iss]).toEqual([user, identity.namespaceAccountKey('shop')]);
    expect(c.nats.bearer_token).toBe(false);
    expect(c.exp).toBeUndefined();
    expect(c.nats.pub?.deny).toContain('$SYS.>');
    const timed = claimsOf(await identity.namespaceUserJwt('shop', user, { now: 1000, expiresInSeconds: 60 }));
    expect(timed.expires).toBe(1060);
    // the account key signed it: its signature verifies with the account's public key
    const [h, p, s] = jwt.split('.');
    const sig = Buffer.from(s!, 'base64url');
    expect(fromPublic(identity.namespaceAccountKey('shop')).verify(new TextEncoder().encode(`${h}.${p}`), sig)).toBe(
      true,
    );
    await expect(identity.namespaceUserJwt('shop', identity.namespaceAccountKey('x'))).rejects.toThrow(RangeError);
  });

  it('confines a host control user to its own subjects', async () => {
    const c = decode<User>(await identity.hostControlUserJwt('host-1', createUser().getPublicKey()));
    expect(c.iss).toBe(identity.controlAccountKey);
    expect(c.nats.pub?.allow).toEqual(['skiff.host.host-1.>']);
    expect(c.nats.sub?.allow).toEqual(['skiff.host.host-1.>', 'skiff.hosts.ping']);
    expect(c.nats.resp?.max).toBe(1);
    expect(() => identity.hostControlUserJwt('a.b', createUser().getPublicKey())).toThrow(RangeError);
  });

  it('writes creds files nats.js can read back', async () => {
    const kp = createUser();
    const creds = credentials(await identity.namespaceUserJwt('shop', kp.getPublicKey()), kp);
    expect(creds.creds).toContain(creds.jwt);
    expect(creds.creds).toContain(creds.seed);
    expect(creds.seed.startsWith('SU')).toBe(true);
  });

  it('refuses a seed that is not an operator seed', () => {
    expect(() => parseOperatorSeed(new TextDecoder().decode(createUser().getSeed()))).toThrow(/operator/);
    expect(() => parseOperatorSeed('SOnotaseed')).toThrow(/seed/);
  });
});
