/**
 * The keyvalue contract: every KeyValueBackend must pass these tests, driven through the
 * plugin's import fragment the way jco calls it (resource instances, thrown error values,
 * bigint counters).
 */
import { describe, expect, it } from 'vitest';
import type { HostInterface } from '../../../api/index.js';
import { bindFor, bytes, fn, type TestBinding, text, thrown } from '../testing.js';
import type { KeyValueBackend } from './backend.js';
import { ATOMICS, BATCH, keyvaluePlugin, STORE } from './index.js';

const ALL: HostInterface = {
  namespace: 'wasi',
  package: 'keyvalue',
  interfaces: ['store', 'atomics', 'batch'],
  version: '0.2.0-draft',
};

/** keyvalueContract registers the keyvalue contract tests for backends made by `makeBackend`. */
export function keyvalueContract(name: string, makeBackend: () => Promise<KeyValueBackend> | KeyValueBackend): void {
  describe(`wasi:keyvalue contract: ${name}`, () => {
    async function setup(pageSize = 3) {
      const plugin = keyvaluePlugin({ backend: await makeBackend(), pageSize });
      const bind = (namespace: string, grants: HostInterface[] = [ALL]) => bindFor(plugin, { namespace, grants });
      return { plugin, bind };
    }
    // biome-ignore lint/suspicious/noExplicitAny: buckets are jco resource instances.
    const open = (b: TestBinding, id: string): Promise<any> => fn(b, STORE, 'open')(id);

    it('binds only the granted interfaces', async () => {
      const { bind } = await setup();
      const b = await bind('ns', [{ ...ALL, interfaces: ['store'] }]);
      expect(Object.keys(b.binding.imports)).toEqual([STORE]);
    });

    it('gets, sets, checks and deletes values', async () => {
      const { bind } = await setup();
      const bucket = await open(await bind('ns'), 'orders');
      expect(await bucket.get('a')).toBeUndefined();
      expect(await bucket.exists('a')).toBe(false);
      await bucket.set('a', bytes('one'));
      expect(text(await bucket.get('a'))).toBe('one');
      expect(await bucket.exists('a')).toBe(true);
      await bucket.set('a', bytes('two'));
      expect(text(await bucket.get('a'))).toBe('two');
      await bucket.delete('a');
      await bucket.delete('a');
      expect(await bucket.get('a')).toBeUndefined();
      expect(await bucket.exists('a')).toBe(false);
    });

    it('keeps a stored value when the caller reuses its buffer', async () => {
      const { bind } = await setup();
      const bucket = await open(await bind('ns'), 'orders');
      const buf = bytes('abc');
      await bucket.set('k', buf);
      buf[0] = 0x7a;
      expect(text(await bucket.get('k'))).toBe('abc');
    });

    it('rejects bad bucket identifiers with no-such-store', async () => {
      const { bind } = await setup();
      const b = await bind('ns');
      for (const id of ['', 'has space', 'a/b', 'x'.repeat(65)]) {
        expect(await thrown(open(b, id))).toEqual({ tag: 'no-such-store' });
      }
    });

    it('shares buckets within a namespace and isolates other namespaces', async () => {
      const { bind } = await setup();
      const first = await open(await bind('shop'), 'orders');
      const second = await open(await bind('shop'), 'orders');
      const stranger = await open(await bind('other'), 'orders');
      const sibling = await open(await bind('shop'), 'invoices');
      await first.set('k', bytes('v'));
      expect(text(await second.get('k'))).toBe('v');
      expect(await stranger.get('k')).toBeUndefined();
      expect(await sibling.get('k')).toBeUndefined();
      expect((await stranger.listKeys(undefined)).keys).toEqual([]);
    });

    it('lists keys page by page with a cursor', async () => {
      const { bind } = await setup(3);
      const bucket = await open(await bind('ns'), 'many');
      expect(await bucket.listKeys(undefined)).toEqual({ keys: [], cursor: undefined });
      const all = Array.from({ length: 8 }, (_, i) => `key-${i}`);
      for (const k of all) await bucket.set(k, bytes(k));
      const seen: string[] = [];
      let cursor: bigint | undefined;
      let pages = 0;
      do {
        const page = await bucket.listKeys(cursor);
        expect(page.keys.length).toBeLessThanOrEqual(3);
        seen.push(...page.keys);
        cursor = page.cursor;
        if (cursor !== undefined) expect(typeof cursor).toBe('bigint');
        pages++;
      } while (cursor !== undefined);
      expect(pages).toBe(3);
      expect(seen.sort()).toEqual(all.sort());
    });

    it('increments counters atomically under concurrency', async () => {
      const { bind } = await setup();
      const [one, two] = [await bind('ns'), await bind('ns')];
      const [incOne, incTwo] = [fn(one, ATOMICS, 'increment'), fn(two, ATOMICS, 'increment')];
      const a = await open(one, 'counters');
      const b = await open(two, 'counters');
      expect(await incOne(a, 'hits', 5n)).toBe(5n);
      await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? incOne(a, 'hits', 1n) : incTwo(b, 'hits', 1n))));
      expect(text(await a.get('hits'))).toBe('105');
      expect(await incTwo(b, 'hits', 0n)).toBe(105n);
    });

    it('increment reports non-numbers and overflow as other', async () => {
      const { bind } = await setup();
      const b = await bind('ns');
      const increment = fn(b, ATOMICS, 'increment');
      const bucket = await open(b, 'counters');
      await bucket.set('word', bytes('abc'));
      expect(await thrown(increment(bucket, 'word', 1n))).toMatchObject({ tag: 'other', val: expect.any(String) });
      await bucket.set('big', bytes('18446744073709551615'));
      expect(await thrown(increment(bucket, 'big', 1n))).toMatchObject({ tag: 'other' });
      expect(text(await bucket.get('big'))).toBe('18446744073709551615');
    });

    it('gets, sets and deletes many keys', async () => {
      const { bind } = await setup();
      const b = await bind('ns');
      const bucket = await open(b, 'batch');
      await fn(
        b,
        BATCH,
        'setMany',
      )(bucket, [
        ['a', bytes('1')],
        ['b', bytes('2')],
      ]);
      const got = await fn(b, BATCH, 'getMany')(bucket, ['a', 'missing', 'b']);
      expect(got.map((e: [string, Uint8Array] | undefined) => e && [e[0], text(e[1])])).toEqual([
        ['a', '1'],
        undefined,
        ['b', '2'],
      ]);
      await fn(b, BATCH, 'deleteMany')(bucket, ['a', 'missing']);
      expect(await bucket.exists('a')).toBe(false);
      expect(await bucket.exists('b')).toBe(true);
    });

    it('fails every call with other after the workload stops', async () => {
      const { bind } = await setup();
      const b = await bind('ns');
      const bucket = await open(b, 'orders');
      await b.stop();
      const closed = { tag: 'other', val: expect.any(String) };
      expect(await thrown(bucket.get('k'))).toMatchObject(closed);
      expect(await thrown(bucket.set('k', bytes('v')))).toMatchObject(closed);
      expect(await thrown(open(b, 'orders'))).toMatchObject(closed);
      expect(await thrown(fn(b, ATOMICS, 'increment')(bucket, 'k', 1n))).toMatchObject(closed);
      expect(await thrown(fn(b, BATCH, 'getMany')(bucket, ['k']))).toMatchObject(closed);
    });
  });
}
