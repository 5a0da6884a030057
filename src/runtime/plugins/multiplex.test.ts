import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostInterface } from '../../api/index.js';
import { filesystemBlobstoreBackend } from './blobstore/filesystem.js';
import { BLOB_TYPES, BLOBSTORE, blobstorePlugin } from './blobstore/index.js';
import { memoryBlobstoreBackend } from './blobstore/memory.js';
import type { KeyValueBackend } from './keyvalue/backend.js';
import { filesystemKeyValueBackend } from './keyvalue/filesystem.js';
import { keyvaluePlugin, STORE } from './keyvalue/index.js';
import { memoryKeyValueBackend } from './keyvalue/memory.js';
import { BackendConfigError, type BackendProvider, BackendUnavailableError } from './multiplex.js';
import { bindFor, bytes, fn, text, thrown } from './testing.js';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});
const newRoot = () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-multiplex-'));
  roots.push(root);
  return root;
};

const kv = (name: string | undefined, config?: Record<string, string>): HostInterface => ({
  namespace: 'wasi',
  package: 'keyvalue',
  interfaces: ['store'],
  version: '0.2.0-draft',
  ...(name ? { name } : {}),
  ...(config ? { config } : {}),
});

// A filesystem provider as the host builds it: one shared backend under the host's data dir.
function filesystemProvider(root: string, created: string[]): BackendProvider<KeyValueBackend> {
  return {
    type: 'filesystem',
    poolKey: () => root,
    create: () => {
      created.push(root);
      return filesystemKeyValueBackend({ root });
    },
  };
}

describe('named backends (multiplexing)', () => {
  it('routes each named instance to its own backend by the bucket name, and other buckets to the unnamed one', async () => {
    const root = newRoot();
    const plugin = keyvaluePlugin({
      backend: memoryKeyValueBackend(),
      backendType: 'memory',
      providers: [filesystemProvider(root, [])],
    });
    const grants = [kv('orders', { backend: 'filesystem' }), kv('cache', { backend: 'memory' }), kv(undefined)];
    const b = await bindFor(plugin, { namespace: 'shop', grants });
    expect(b.binding.threadable).toBe(false);
    const open = fn(b, STORE, 'open');
    await (await open('orders')).set('o-1', bytes('durable'));
    await (await open('cache')).set('c-1', bytes('fleeting'));
    await (await open('misc')).set('m-1', bytes('default'));
    // Only the orders bucket is on disk.
    expect(existsSync(join(root, 'keyvalue', 'shop', 'orders', 'o-1'))).toBe(true);
    expect(existsSync(join(root, 'keyvalue', 'shop', 'cache'))).toBe(false);
    expect(existsSync(join(root, 'keyvalue', 'shop', 'misc'))).toBe(false);
    const restarted = await filesystemKeyValueBackend({ root }).open('shop', 'orders');
    expect(text((await restarted.get('o-1'))!)).toBe('durable');
  });

  it('refuses a bucket no instance serves when there is no unnamed instance', async () => {
    const plugin = keyvaluePlugin({ backend: memoryKeyValueBackend(), backendType: 'memory' });
    const b = await bindFor(plugin, { grants: [kv('cache')] });
    expect(b.binding.threadable).toBe(true);
    await (await fn(b, STORE, 'open')('cache')).set('k', bytes('v'));
    expect(await thrown(fn(b, STORE, 'open')('orders'))).toEqual({ tag: 'no-such-store' });
  });

  it('shares one backend between workloads with the same backend config', async () => {
    const root = newRoot();
    const created: string[] = [];
    const plugin = keyvaluePlugin({ backend: memoryKeyValueBackend(), providers: [filesystemProvider(root, created)] });
    const [one, two] = await Promise.all([
      bindFor(plugin, { namespace: 'shop', name: 'web', grants: [kv('orders', { backend: 'filesystem' })] }),
      bindFor(plugin, { namespace: 'shop', name: 'worker', grants: [kv('orders', { backend: 'filesystem' })] }),
    ]);
    await (await fn(one, STORE, 'open')('orders')).set('k', bytes('from web'));
    expect(text(await (await fn(two, STORE, 'open')('orders')).get('k'))).toBe('from web');
    expect(created).toEqual([root]);
  });

  it('fails the bind for a backend this host lacks, and for connection settings in a workload', async () => {
    const plugin = keyvaluePlugin({ backend: memoryKeyValueBackend(), backendType: 'memory' });
    const lacking = bindFor(plugin, { grants: [kv('orders', { backend: 'redis' })] });
    await expect(lacking).rejects.toThrow(BackendUnavailableError);
    await expect(lacking).rejects.toThrow(
      /instance "orders": backend "redis" is not enabled on this host \(it offers memory\)/,
    );
    const dialing = bindFor(plugin, { grants: [kv('orders', { backend: 'memory', url: 'redis://10.0.0.1' })] });
    await expect(dialing).rejects.toThrow(BackendConfigError);
    await expect(dialing).rejects.toMatchObject({ code: 'SKIFF_BACKEND_CONFIG' });
  });

  it('routes blobstore containers by name and copies objects across backends', async () => {
    const root = newRoot();
    const plugin = blobstorePlugin({
      backend: memoryBlobstoreBackend(),
      backendType: 'memory',
      providers: [{ type: 'filesystem', create: () => filesystemBlobstoreBackend({ root }) }],
    });
    const grant = { namespace: 'wasi', package: 'blobstore', interfaces: ['blobstore'], version: '0.2.0-draft' };
    const b = await bindFor(plugin, {
      namespace: 'media',
      grants: [grant, { ...grant, name: 'archive', config: { backend: 'filesystem' } }],
    });
    const create = fn(b, BLOBSTORE, 'createContainer');
    // biome-ignore lint/suspicious/noExplicitAny: jco resource classes.
    const { OutgoingValue: Out, IncomingValue: In } = b.binding.imports[BLOB_TYPES] as any;
    const inbox = await create('inbox');
    const archive = await create('archive');
    const value = Out.newOutgoingValue();
    const stream = value.outgoingValueWriteBody();
    stream.blockingWriteAndFlush(bytes('photo bytes'));
    stream[Symbol.dispose]();
    await inbox.writeData('p.jpg', value);
    await Out.finish(value);
    await fn(
      b,
      BLOBSTORE,
      'moveObject',
    )({ container: 'inbox', object: 'p.jpg' }, { container: 'archive', object: 'p.jpg' });
    expect(await inbox.hasObject('p.jpg')).toBe(false);
    expect(text(await In.incomingValueConsumeSync(await archive.getData('p.jpg', 0n, 100n)))).toBe('photo bytes');
    expect(existsSync(join(root, 'blobstore', 'media', 'archive', 'p=2ejpg'))).toBe(true);
    expect(existsSync(join(root, 'blobstore', 'media', 'inbox'))).toBe(false);
  });
});
