import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bindFor, bytes, fn, text, thrown } from '../testing.js';
import { keyvalueContract } from './contract.js';
import { filesystemKeyValueBackend } from './filesystem.js';
import { ATOMICS, keyvaluePlugin, STORE } from './index.js';

const roots: string[] = [];
const newRoot = () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-kv-fs-'));
  roots.push(root);
  return root;
};
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const GRANT = {
  namespace: 'wasi',
  package: 'keyvalue',
  interfaces: ['store', 'atomics', 'batch'],
  version: '0.2.0-draft',
};

keyvalueContract('filesystem', () => filesystemKeyValueBackend({ root: newRoot() }));

describe('wasi:keyvalue on the filesystem', () => {
  it('keeps data across a restart of the backend (a new process over the same directory)', async () => {
    const root = newRoot();
    const first = await filesystemKeyValueBackend({ root }).open('shop', 'orders');
    await first.set('a', bytes('one'));
    await first.set('b', bytes('two'));
    expect(await first.increment('n', 41n)).toBe(41n);
    await first.delete('b');
    const again = await filesystemKeyValueBackend({ root }).open('shop', 'orders');
    expect(text((await again.get('a'))!)).toBe('one');
    expect(await again.get('b')).toBeUndefined();
    expect(await again.increment('n', 1n)).toBe(42n);
    expect((await again.listKeys(0n, 10)).keys).toEqual(['a', 'n']);
  });

  it('stores keys of any shape inside the bucket directory, without collisions', async () => {
    const root = newRoot();
    const b = await bindFor(keyvaluePlugin({ backend: filesystemKeyValueBackend({ root }) }), { grants: [GRANT] });
    const bucket = await fn(b, STORE, 'open')('odd_keys');
    const keys = [
      '',
      '.',
      '..',
      '../../escape',
      '/etc/passwd',
      'a/b',
      'A',
      'a',
      '=41',
      'ünï cødé',
      '\u0000',
      'x'.repeat(200),
    ];
    for (const k of keys) await bucket.set(k, bytes(`v:${k}`));
    for (const k of keys) expect(text(await bucket.get(k))).toBe(`v:${k}`);
    expect((await bucket.listKeys(undefined)).keys).toEqual([...keys].sort());
    // Everything is one level below the bucket directory: nothing escaped it.
    expect(readdirSync(join(root, 'keyvalue'))).toEqual(['default']);
    expect(readdirSync(join(root, 'keyvalue', 'default'))).toEqual(['odd_keys']);
    expect(readdirSync(join(root, 'keyvalue', 'default', 'odd_keys'))).toHaveLength(keys.length);
  });

  it('refuses keys too long for a file name, and values or buckets past their bounds, with other', async () => {
    const backend = filesystemKeyValueBackend({ root: newRoot(), maxBucketBytes: 10, maxValueBytes: 8 });
    const b = await bindFor(keyvaluePlugin({ backend }), { grants: [GRANT] });
    const bucket = await fn(b, STORE, 'open')('small');
    const tooLong = { tag: 'other', val: expect.stringContaining('too long') };
    expect(await thrown(bucket.set('é'.repeat(50), bytes('v')))).toMatchObject(tooLong);
    expect(await thrown(bucket.get('é'.repeat(50)))).toMatchObject(tooLong);
    expect(await thrown(bucket.set('big', bytes('123456789')))).toMatchObject({
      tag: 'other',
      val: expect.stringContaining('limit of 8'),
    });
    await bucket.set('a', bytes('12345678'));
    expect(await thrown(bucket.set('b', bytes('123')))).toMatchObject({
      tag: 'other',
      val: expect.stringContaining('full'),
    });
    await bucket.set('a', bytes('1')); // replacing frees the old bytes
    await bucket.set('b', bytes('123'));
    await bucket.delete('a');
    await bucket.set('c', bytes('123456'));
    expect(await fn(b, ATOMICS, 'increment')(bucket, 'c', 1n)).toBe(123457n);
  });

  it('holds the bucket bound exactly under concurrent writes of different keys', async () => {
    const bucket = await filesystemKeyValueBackend({ root: newRoot(), maxBucketBytes: 10 }).open('q', 'b');
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => bucket.set(`k${i}`, bytes('abc'))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect((await bucket.listKeys(0n, 100)).keys).toHaveLength(3);
  });

  it('limits how many buckets one namespace may create', async () => {
    const backend = filesystemKeyValueBackend({ root: newRoot(), maxBucketsPerNamespace: 2 });
    await backend.open('quota', 'one');
    await backend.open('quota', 'two');
    await expect(backend.open('quota', 'three')).rejects.toThrow(/already has 2 key-value buckets \(the limit is 2\)/);
    await backend.open('quota', 'one');
    await backend.open('other', 'three');
    await expect(backend.open('Not_A_Namespace', 'x')).rejects.toThrow(/not a valid Kubernetes namespace/);
  });

  it('ignores and removes what an interrupted write left behind', async () => {
    const root = newRoot();
    const bucket = await filesystemKeyValueBackend({ root }).open('shop', 'crash');
    await bucket.set('k', bytes('whole'));
    const dir = join(root, 'keyvalue', 'shop', 'crash');
    writeFileSync(join(dir, '.tmp-0123456789abcdef'), 'torn');
    const again = await filesystemKeyValueBackend({ root }).open('shop', 'crash');
    expect((await again.listKeys(0n, 10)).keys).toEqual(['k']);
    expect(text((await again.get('k'))!)).toBe('whole');
    expect(readdirSync(dir)).toEqual(['k']);
  });
});
