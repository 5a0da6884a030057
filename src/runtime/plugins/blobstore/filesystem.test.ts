import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blobstoreContract } from './contract.js';
import { filesystemBlobstoreBackend } from './filesystem.js';
import { concat } from './values.js';

const roots: string[] = [];
const newRoot = () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-blob-fs-'));
  roots.push(root);
  return root;
};
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const read = async (range: { size: bigint; chunks: Parameters<typeof concat>[0] } | undefined) =>
  range && Buffer.from(await concat(range.chunks, range.size));

blobstoreContract('filesystem', () => filesystemBlobstoreBackend({ root: newRoot() }));

describe('wasi:blobstore on the filesystem', () => {
  it('keeps containers and objects across a restart of the backend', async () => {
    const root = newRoot();
    const first = filesystemBlobstoreBackend({ root, now: () => 1_700_000_000_000 });
    await first.createContainer('shop', 'photos');
    await first.writeObject('shop', 'photos', 'cat.jpg', [Buffer.from('meow')]);
    const again = filesystemBlobstoreBackend({ root });
    expect(await again.containerInfo('shop', 'photos')).toEqual({ name: 'photos', createdAt: 1_700_000_000n });
    expect(await again.listObjects('shop', 'photos')).toEqual(['cat.jpg']);
    expect((await read(await again.readObject('shop', 'photos', 'cat.jpg', 0n, 100n)))?.toString()).toBe('meow');
    expect(await again.containerInfo('other', 'photos')).toBeUndefined();
  });

  it('streams a large object in and reads any range back', async () => {
    const backend = filesystemBlobstoreBackend({ root: newRoot() });
    await backend.createContainer('ns', 'big');
    const payload = randomBytes(3 * 1024 * 1024 + 17);
    const chunks = Array.from({ length: 49 }, (_, i) => payload.subarray(i * 65_536, (i + 1) * 65_536));
    await backend.writeObject('ns', 'big', 'blob.bin', chunks);
    expect((await backend.objectInfo('ns', 'big', 'blob.bin'))?.size).toBe(BigInt(payload.length));
    expect((await read(await backend.readObject('ns', 'big', 'blob.bin', 0n, 2n ** 64n)))?.equals(payload)).toBe(true);
    const slice = await read(await backend.readObject('ns', 'big', 'blob.bin', 70_000n, 1_000_000n));
    expect(slice?.equals(payload.subarray(70_000, 1_000_001))).toBe(true);
  });

  it('maps object and container names of any shape to files inside the container, without collisions', async () => {
    const root = newRoot();
    const backend = filesystemBlobstoreBackend({ root });
    const container = '../../outside';
    await backend.createContainer('ns', container);
    const names = ['.', '..', '../escape', 'a/b/c.txt', '/abs', 'A', 'a', '.created', 'ünï'];
    for (const n of names) await backend.writeObject('ns', container, n, [Buffer.from(`v:${n}`)]);
    for (const n of names)
      expect((await read(await backend.readObject('ns', container, n, 0n, 99n)))?.toString()).toBe(`v:${n}`);
    expect((await backend.listObjects('ns', container)).sort()).toEqual([...names].sort());
    expect(readdirSync(root)).toEqual(['blobstore']);
    expect(readdirSync(join(root, 'blobstore', 'ns'))).toHaveLength(1);
    await expect(backend.writeObject('ns', container, 'é'.repeat(60), [])).rejects.toThrow(/too long/);
  });

  it('bounds containers per namespace and bytes per container', async () => {
    const backend = filesystemBlobstoreBackend({
      root: newRoot(),
      maxContainersPerNamespace: 2,
      maxContainerBytes: 10,
    });
    await backend.createContainer('q', 'one');
    await backend.createContainer('q', 'two');
    await expect(backend.createContainer('q', 'three')).rejects.toThrow(/already has 2 containers \(the limit is 2\)/);
    await backend.writeObject('q', 'one', 'a', [Buffer.from('12345'), Buffer.from('678')]);
    await expect(backend.writeObject('q', 'one', 'b', [Buffer.from('123')])).rejects.toThrow(/full/);
    expect(await backend.objectInfo('q', 'one', 'b')).toBeUndefined();
    await backend.writeObject('q', 'one', 'a', [Buffer.from('1')]); // replacing frees the old bytes
    await backend.writeObject('q', 'one', 'b', [Buffer.from('123')]);
    await backend.writeObject('q', 'two', 'big', [Buffer.from('123456789')]);
    await expect(
      backend.copyObject('q', { container: 'two', object: 'big' }, { container: 'one', object: 'c' }),
    ).rejects.toThrow(/full/);
    await backend.deleteContainer('q', 'two');
    await backend.createContainer('q', 'three');
  });

  it('holds the container bound exactly under concurrent writes', async () => {
    const backend = filesystemBlobstoreBackend({ root: newRoot(), maxContainerBytes: 10 });
    await backend.createContainer('q', 'c');
    const writes = Array.from({ length: 10 }, (_, i) => backend.writeObject('q', 'c', `o${i}`, [Buffer.from('abc')]));
    const results = await Promise.allSettled(writes);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(await backend.listObjects('q', 'c')).toHaveLength(3);
  });

  it('ignores and removes what an interrupted write or create left behind', async () => {
    const root = newRoot();
    const backend = filesystemBlobstoreBackend({ root });
    await backend.createContainer('ns', 'c');
    await backend.writeObject('ns', 'c', 'whole', [Buffer.from('ok')]);
    const dir = join(root, 'blobstore', 'ns');
    writeFileSync(join(dir, 'c', '.tmp-00000000000000aa'), 'torn object');
    mkdirSync(join(dir, '.tmp-00000000000000bb'));
    const again = filesystemBlobstoreBackend({ root });
    expect(await again.listObjects('ns', 'c')).toEqual(['whole']);
    expect(readdirSync(join(dir, 'c')).sort()).toEqual(['.created', 'whole']);
    expect(await again.containerInfo('ns', '.tmp-00000000000000bb')).toBeUndefined();
  });
});
