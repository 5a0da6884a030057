/**
 * Crash safety of the filesystem backends: a separate process writes large keyvalue values
 * and blobstore objects in a loop and is killed with SIGKILL in the middle of it; a new
 * backend over the same directory then finds every key and object either absent or whole
 * (one of the values written, never a torn mix), and no leftover temporary file listed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { filesystemBlobstoreBackend } from '../../src/runtime/plugins/blobstore/filesystem.js';
import { concat } from '../../src/runtime/plugins/blobstore/values.js';
import { filesystemKeyValueBackend } from '../../src/runtime/plugins/keyvalue/filesystem.js';
import { waitFor } from '../support/wait.js';

const root = mkdtempSync(join(tmpdir(), 'skiff-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SIZE = 1024 * 1024;
const src = join(import.meta.dirname, '..', '..', 'src', 'runtime', 'plugins');
// The writer: value i is SIZE bytes of (i % 251), written to key/object k<i % 4>, forever.
const writer = `
const { filesystemKeyValueBackend } = await import(${JSON.stringify(join(src, 'keyvalue', 'filesystem.ts'))});
const { filesystemBlobstoreBackend } = await import(${JSON.stringify(join(src, 'blobstore', 'filesystem.ts'))});
const root = process.argv[1];
const bucket = await filesystemKeyValueBackend({ root }).open('crash', 'kv');
const blobs = filesystemBlobstoreBackend({ root });
await blobs.createContainer('crash', 'objects').catch(() => undefined);
for (let i = 0; ; i++) {
  const value = new Uint8Array(${SIZE}).fill(i % 251);
  await Promise.all([
    bucket.set('k' + (i % 4), value),
    blobs.writeObject('crash', 'objects', 'k' + (i % 4), [value.subarray(0, ${SIZE / 2}), value.subarray(${SIZE / 2})]),
  ]);
  process.stdout.write('wrote ' + i + '\\n');
}
`;

function whole(value: Uint8Array | undefined): boolean {
  if (value === undefined) return true;
  return value.length === SIZE && value.every((b) => b === value[0]);
}

let child: ChildProcess | undefined;
afterAll(() => child?.kill('SIGKILL'));

it('leaves every value and object whole when the writing process is killed', async () => {
  child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', writer, root], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d) => {
    out += d.toString();
  });
  await waitFor('the writer to write 20 rounds', () => (out.match(/wrote \d+/g)?.length ?? 0) >= 20 || undefined);
  const exited = new Promise((resolve) => child!.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;

  const bucket = await filesystemKeyValueBackend({ root }).open('crash', 'kv');
  const blobs = filesystemBlobstoreBackend({ root });
  const keys = (await bucket.listKeys(0n, 100)).keys;
  expect(keys.sort()).toEqual(['k0', 'k1', 'k2', 'k3']);
  for (const k of keys) expect(whole(await bucket.get(k)), `keyvalue ${k}`).toBe(true);
  expect((await blobs.listObjects('crash', 'objects')).sort()).toEqual(['k0', 'k1', 'k2', 'k3']);
  for (const k of keys) {
    const range = await blobs.readObject('crash', 'objects', k, 0n, 2n ** 64n);
    expect(whole(range && (await concat(range.chunks, range.size))), `object ${k}`).toBe(true);
  }
  // Loading removed whatever temporary files the kill left behind.
  expect(readdirSync(join(root, 'keyvalue', 'crash', 'kv')).sort()).toEqual(['k0', 'k1', 'k2', 'k3']);
  expect(readdirSync(join(root, 'blobstore', 'crash', 'objects')).sort()).toEqual(['.created', 'k0', 'k1', 'k2', 'k3']);
});
