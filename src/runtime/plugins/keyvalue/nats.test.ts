import { describe, expect, it } from 'vitest';
import { useNats, useNatsConnections } from '../../../../test/support/nats.js';
import { callThroughOutage } from '../../../../test/support/outage.js';
import { decodeToken, encodeToken } from '../common.js';
import { bindFor, bytes, fn, text, thrown } from '../testing.js';
import { keyvalueContract } from './contract.js';
import { ATOMICS, keyvaluePlugin, STORE } from './index.js';
import { natsKeyValueBackend } from './nats.js';

const server = useNats();
const connection = useNatsConnections(server);
const GRANT = {
  namespace: 'wasi',
  package: 'keyvalue',
  interfaces: ['store', 'atomics', 'batch'],
  version: '0.2.0-draft',
};

keyvalueContract('nats', async () => natsKeyValueBackend(await connection()));

describe('wasi:keyvalue on NATS', () => {
  it('limits how many buckets one namespace may create, and sizes new buckets', async () => {
    const nc = await connection();
    const backend = natsKeyValueBackend(nc, { maxBucketsPerNamespace: 2, maxBucketBytes: 1 << 20 });
    await backend.open('quota-a', 'one');
    await backend.open('quota-a', 'two');
    await expect(backend.open('quota-a', 'three')).rejects.toThrow(
      /already has 2 key-value buckets \(the limit is 2\)/,
    );
    await backend.open('quota-a', 'one'); // an existing bucket opens again
    await natsKeyValueBackend(nc, { maxBucketsPerNamespace: 2 }).open('quota-b', 'one'); // another namespace
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const info = await (await jetstreamManager(nc)).streams.info('KV_skiff_quota-a_one');
    expect(info.config.max_bytes).toBe(1 << 20);
  });

  it('stores keys of any shape and lists the originals', async () => {
    const b = await bindFor(keyvaluePlugin({ backend: natsKeyValueBackend(await connection()) }), { grants: [GRANT] });
    const bucket = await fn(b, STORE, 'open')('odd_keys');
    const keys = ['', '.', 'a.b', 'a..b', ' space', '*', '>', 'ünï/cødé', 'x=41', '_INBOX.x', 'a'.repeat(300)];
    for (const k of keys) {
      expect(decodeToken(encodeToken(k))).toBe(k);
      await bucket.set(k, bytes(`v:${k}`));
    }
    for (const k of keys) expect(text(await bucket.get(k))).toBe(`v:${k}`);
    expect((await bucket.listKeys(undefined)).keys).toEqual([...keys].sort());
  });

  it('refuses keys too long for NATS with other, without disturbing the connection', async () => {
    const nc = await connection();
    const b = await bindFor(keyvaluePlugin({ backend: natsKeyValueBackend(nc) }), { grants: [GRANT] });
    const bucket = await fn(b, STORE, 'open')('long');
    const key = '.'.repeat(2000);
    expect(await thrown(bucket.set(key, bytes('v')))).toMatchObject({
      tag: 'other',
      val: expect.stringContaining('too long'),
    });
    expect(await thrown(bucket.get(key))).toMatchObject({ tag: 'other' });
    await bucket.set('short', bytes('v'));
    expect(text(await bucket.get('short'))).toBe('v');
    expect(nc.stats().inMsgs).toBeGreaterThan(0);
  });

  it('increments atomically across two hosts (1,000 each)', async () => {
    const hosts = await Promise.all([connection(), connection()]);
    const bindings = await Promise.all(
      hosts.map((nc) => bindFor(keyvaluePlugin({ backend: natsKeyValueBackend(nc) }), { grants: [GRANT] })),
    );
    const buckets = await Promise.all(bindings.map((b) => fn(b, STORE, 'open')('counters')));
    await Promise.all(
      bindings.map((b, i) =>
        Promise.all(Array.from({ length: 1000 }, () => fn(b, ATOMICS, 'increment')(buckets[i], 'hits', 1n))),
      ),
    );
    expect(text(await buckets[0].get('hits'))).toBe('2000');
  });

  it('keeps data through a nats-server restart and fails calls promptly with other while it is down', async () => {
    const nc = await connection();
    const b = await bindFor(keyvaluePlugin({ backend: natsKeyValueBackend(nc, { timeoutMs: 1000 }) }), {
      grants: [GRANT],
    });
    const bucket = await fn(b, STORE, 'open')('durable');
    for (let i = 0; i < 50; i++) await bucket.set(`before-${i}`, bytes(String(i)));
    const outcomes = await callThroughOutage((i) => bucket.set(`during-${i}`, bytes('x')), server());
    const failed = outcomes.filter((o) => !o.ok);
    for (const f of failed) expect(f.err).toMatchObject({ tag: 'other', val: expect.any(String) });
    for (let i = 0; i < 50; i++) expect(text(await bucket.get(`before-${i}`))).toBe(String(i));
    expect(await fn(b, ATOMICS, 'increment')(bucket, 'after', 1n)).toBe(1n);
  });
});
