/**
 * The blobstore contract: every BlobstoreBackend must pass these tests, driven through the
 * plugin's import fragment the way jco calls it (resources, static methods, `wasi:io`
 * streams, thrown error strings, bigint sizes).
 */
import { describe, expect, it } from 'vitest';
import type { HostInterface } from '../../../api/index.js';
import { bindFor, bytes, fn, type TestBinding, text, thrown } from '../testing.js';
import type { BlobstoreBackend } from './backend.js';
import { BLOB_TYPES, BLOBSTORE, blobstorePlugin, CONTAINER } from './index.js';

const GRANT: HostInterface = {
  namespace: 'wasi',
  package: 'blobstore',
  interfaces: ['blobstore'],
  version: '0.2.0-draft',
};

// biome-ignore lint/suspicious/noExplicitAny: resources are untyped jco classes.
type Any = any;

/** blobstoreContract registers the blobstore contract tests for backends made by `makeBackend`. */
export function blobstoreContract(name: string, makeBackend: () => Promise<BlobstoreBackend> | BlobstoreBackend): void {
  describe(`wasi:blobstore contract: ${name}`, () => {
    async function setup() {
      const plugin = blobstorePlugin({ backend: await makeBackend() });
      return (namespace = 'ns') => bindFor(plugin, { namespace, grants: [GRANT] });
    }
    const api = (b: TestBinding) => ({
      create: fn(b, BLOBSTORE, 'createContainer'),
      get: fn(b, BLOBSTORE, 'getContainer'),
      del: fn(b, BLOBSTORE, 'deleteContainer'),
      exists: fn(b, BLOBSTORE, 'containerExists'),
      copy: fn(b, BLOBSTORE, 'copyObject'),
      move: fn(b, BLOBSTORE, 'moveObject'),
      Out: b.binding.imports[BLOB_TYPES]!.OutgoingValue as Any,
      In: b.binding.imports[BLOB_TYPES]!.IncomingValue as Any,
    });
    // put writes `chunks` the way guests do: write-data first, then the stream, then finish.
    async function put(b: TestBinding, c: Any, object: string, chunks: string[]): Promise<void> {
      const { Out } = api(b);
      const value = Out.newOutgoingValue();
      const stream = value.outgoingValueWriteBody();
      await c.writeData(object, value);
      for (const chunk of chunks) {
        expect(stream.checkWrite()).toBeGreaterThan(0n);
        stream.write(bytes(chunk));
      }
      stream[Symbol.dispose]();
      await Out.finish(value);
    }
    const read = async (b: TestBinding, c: Any, object: string, start = 0n, end = 2n ** 64n - 1n) =>
      text(await api(b).In.incomingValueConsumeSync(await c.getData(object, start, end)));

    it('binds the resource interfaces with blobstore, and nothing without a grant', async () => {
      const bind = await setup();
      expect(Object.keys((await bind()).binding.imports).sort()).toEqual([BLOBSTORE, BLOB_TYPES, CONTAINER].sort());
      const plugin = blobstorePlugin({ backend: await makeBackend() });
      expect((await bindFor(plugin, { grants: [] })).binding.imports).toEqual({});
    });

    it('creates, gets, checks and deletes containers', async () => {
      const b = await (await setup())();
      const { create, get, del, exists } = api(b);
      expect(await exists('photos')).toBe(false);
      const c = await create('photos');
      expect(c.name()).toBe('photos');
      expect((await c.info()).name).toBe('photos');
      expect(typeof (await c.info()).createdAt).toBe('bigint');
      expect(await thrown(create('photos'))).toEqual(expect.any(String));
      expect((await get('photos')).name()).toBe('photos');
      expect(await exists('photos')).toBe(true);
      await del('photos');
      expect(await exists('photos')).toBe(false);
      expect(await thrown(get('photos'))).toEqual(expect.any(String));
      expect(await thrown(c.info())).toEqual(expect.any(String));
      expect(await thrown(create(''))).toEqual(expect.any(String));
    });

    it('writes in chunks and reads whole, by range and as a stream', async () => {
      const b = await (await setup())();
      const { create, In } = api(b);
      const c = await create('docs');
      await put(b, c, 'a.txt', ['hello ', 'big ', 'world']);
      expect(await read(b, c, 'a.txt')).toBe('hello big world');
      expect(await read(b, c, 'a.txt', 4n, 8n)).toBe('o big');
      expect(await read(b, c, 'a.txt', 100n, 200n)).toBe('');
      const value = await c.getData('a.txt', 0n, 1000n);
      expect(value.size()).toBe(15n);
      const stream = In.incomingValueConsumeAsync(value);
      let got = '';
      for (;;) {
        try {
          got += text(await stream.blockingRead(4n));
        } catch (err) {
          expect(err).toEqual({ tag: 'closed' });
          break;
        }
      }
      expect(got).toBe('hello big world');
      expect(await thrown(In.incomingValueConsumeSync(value))).toEqual(expect.any(String));
      expect(await thrown(c.getData('missing', 0n, 1n))).toEqual(expect.any(String));
      expect(await thrown(c.getData('a.txt', 5n, 1n))).toEqual(expect.any(String));
    });

    it('stores a value written before write-data, and discards one never finished', async () => {
      const b = await (await setup())();
      const { create, Out } = api(b);
      const c = await create('docs');
      const value = Out.newOutgoingValue();
      const stream = value.outgoingValueWriteBody();
      stream.blockingWriteAndFlush(bytes('early'));
      stream[Symbol.dispose]();
      expect(await thrown(Promise.resolve().then(() => value.outgoingValueWriteBody()))).toBeDefined();
      await c.writeData('early.txt', value);
      await Out.finish(value);
      expect(await read(b, c, 'early.txt')).toBe('early');
      expect(await thrown(Out.finish(value))).toEqual(expect.any(String));
      const abandoned = Out.newOutgoingValue();
      const unfinished = abandoned.outgoingValueWriteBody();
      unfinished.checkWrite();
      unfinished.write(bytes('x'));
      await c.writeData('abandoned.txt', abandoned);
      expect(await c.hasObject('abandoned.txt')).toBe(false);
    });

    it('lists, inspects, deletes and clears objects', async () => {
      const b = await (await setup())();
      const c = await api(b).create('docs');
      for (const n of ['a', 'b', 'c', 'd']) await put(b, c, n, [n.repeat(3)]);
      const names = await c.listObjects();
      const [first, firstEnd] = names.readStreamObjectNames(2n);
      expect(first).toHaveLength(2);
      expect(firstEnd).toBe(false);
      expect(names.skipStreamObjectNames(1n)).toEqual([1n, false]);
      const [rest, end] = names.readStreamObjectNames(10n);
      expect(rest).toHaveLength(1);
      expect(end).toBe(true);
      expect(await c.objectInfo('a')).toMatchObject({ name: 'a', container: 'docs', size: 3n });
      expect(await thrown(c.objectInfo('zzz'))).toEqual(expect.any(String));
      await c.deleteObject('a');
      await c.deleteObject('a');
      expect(await c.hasObject('a')).toBe(false);
      await c.deleteObjects(['b', 'missing']);
      expect(await c.hasObject('b')).toBe(false);
      await c.clear();
      expect((await c.listObjects()).readStreamObjectNames(10n)).toEqual([[], true]);
    });

    it('copies and moves objects between containers', async () => {
      const b = await (await setup())();
      const { create, copy, move } = api(b);
      const src = await create('src');
      const dest = await create('dest');
      await put(b, src, 'o', ['payload']);
      await copy({ container: 'src', object: 'o' }, { container: 'dest', object: 'copy' });
      expect(await read(b, dest, 'copy')).toBe('payload');
      await move({ container: 'src', object: 'o' }, { container: 'dest', object: 'moved' });
      expect(await src.hasObject('o')).toBe(false);
      expect(await read(b, dest, 'moved')).toBe('payload');
      expect(await thrown(copy({ container: 'src', object: 'o' }, { container: 'dest', object: 'x' }))).toEqual(
        expect.any(String),
      );
      expect(await thrown(move({ container: 'dest', object: 'moved' }, { container: 'nope', object: 'x' }))).toEqual(
        expect.any(String),
      );
    });

    it('isolates namespaces and fails calls after the workload stops', async () => {
      const bind = await setup();
      const mine = await bind('mine');
      const theirs = await bind('theirs');
      await put(mine, await api(mine).create('shared-name'), 'secret', ['x']);
      expect(await api(theirs).exists('shared-name')).toBe(false);
      const c = await api(theirs).create('shared-name');
      expect(await c.hasObject('secret')).toBe(false);
      await mine.stop();
      expect(await thrown(api(mine).exists('shared-name'))).toEqual(expect.any(String));
    });
  });
}
