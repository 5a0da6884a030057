import { afterAll, describe, expect, it } from 'vitest';
import { callThroughOutage } from '../../../../test/support/outage.js';
import { freePort } from '../../../../test/support/ports.js';
import { useRedis } from '../../../../test/support/redis.js';
import { settles } from '../../../../test/support/wait.js';
import { bindFor, bytes, fn, text, thrown } from '../testing.js';
import { keyvalueContract } from './contract.js';
import { ATOMICS, keyvaluePlugin, STORE } from './index.js';
import { type RedisKeyValueOptions, redisKeyValueBackend } from './redis.js';

const server = useRedis();
const GRANT = {
  namespace: 'wasi',
  package: 'keyvalue',
  interfaces: ['store', 'atomics', 'batch'],
  version: '0.2.0-draft',
};

// Every backend gets its own key prefix, so tests never see each other's buckets.
const opened: { close(): Promise<void> }[] = [];
let count = 0;
const backend = (options: Partial<RedisKeyValueOptions> = {}) => {
  const b = redisKeyValueBackend({ url: server().url, prefix: `t${++count}`, ...options });
  opened.push(b);
  return b;
};
afterAll(async () => {
  for (const b of opened) await b.close();
});

keyvalueContract('redis', () => backend());

describe('wasi:keyvalue on Redis', () => {
  it('stores keys of any shape and binary values, and lists the original keys', async () => {
    const b = await bindFor(keyvaluePlugin({ backend: backend() }), { grants: [GRANT] });
    const bucket = await fn(b, STORE, 'open')('odd');
    const keys = ['', '*', 'a:b', 'ünï cødé', '\u0000', '[x]', 'x'.repeat(1000)];
    for (const k of keys) await bucket.set(k, bytes(`v:${k}`));
    for (const k of keys) expect(text(await bucket.get(k))).toBe(`v:${k}`);
    expect((await bucket.listKeys(undefined)).keys).toEqual([...keys].sort());
    const binary = Uint8Array.from([0, 255, 10, 13, 0x80]);
    await bucket.set('bin', binary);
    expect(await bucket.get('bin')).toEqual(binary);
    expect(await thrown(bucket.set('y'.repeat(1025), bytes('v')))).toMatchObject({
      tag: 'other',
      val: expect.stringContaining('too long'),
    });
  });

  it('bounds buckets per namespace, value size and bucket bytes', async () => {
    const kv = backend({ maxBucketsPerNamespace: 2, maxBucketBytes: 10, maxValueBytes: 8 });
    await kv.open('quota', 'one');
    await kv.open('quota', 'two');
    await expect(kv.open('quota', 'three')).rejects.toThrow(/already has 2 key-value buckets \(the limit is 2\)/);
    await kv.open('quota', 'one');
    await kv.open('other', 'three');
    const bucket = await kv.open('quota', 'one');
    await expect(bucket.set('big', bytes('123456789'))).rejects.toThrow(/limit of 8/);
    await bucket.set('a', bytes('12345678'));
    await expect(bucket.set('b', bytes('123'))).rejects.toThrow(/^the bucket is full \(limit 10 bytes\)$/);
    await bucket.set('a', bytes('1'));
    await bucket.set('b', bytes('123'));
    await bucket.delete('a');
    await bucket.set('c', bytes('12345'));
    await expect(bucket.increment('c', 10_000_000n)).rejects.toThrow(/full/);
    expect(text((await bucket.get('c'))!)).toBe('12345');
    expect(await bucket.increment('c', 1n)).toBe(12346n);
  });

  it('shares one bucket between two backends (two hosts on one Redis), atomically', async () => {
    const prefix = `shared${count}`;
    const [one, two] = [backend({ prefix }), backend({ prefix })];
    const [a, b] = [await one.open('ns', 'hits'), await two.open('ns', 'hits')];
    await Promise.all(Array.from({ length: 400 }, (_, i) => (i % 2 ? a : b).increment('n', 1n)));
    expect(text((await a.get('n'))!)).toBe('400');
  });

  it('fails calls within the timeout when Redis is unreachable from the start', async () => {
    const kv = backend({ url: `redis://127.0.0.1:${await freePort()}`, timeoutMs: 300 });
    await expect(settles('an open', kv.open('ns', 'never'), 5000)).rejects.toThrow(
      /Redis did not answer within 300 ms/,
    );
    expect(kv.ready).toBe(false);
  });

  it('fails calls promptly with other while Redis is down, and recovers by itself', async () => {
    const b = await bindFor(keyvaluePlugin({ backend: backend({ timeoutMs: 1000 }) }), { grants: [GRANT] });
    const bucket = await fn(b, STORE, 'open')('outage');
    const outcomes = await callThroughOutage((i) => bucket.set(`k-${i}`, bytes('x')), server());
    for (const f of outcomes.filter((o) => !o.ok))
      expect(f.err).toMatchObject({ tag: 'other', val: expect.stringContaining('Redis') });
    expect(await fn(b, ATOMICS, 'increment')(bucket, 'after', 1n)).toBe(1n);
  });
});
