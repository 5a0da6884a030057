/**
 * `file://` images read the host's own disk, so a host refuses them unless it was given
 * directories they may come from (like hostPath). Inside those: regular files only (no
 * FIFO, no device), bounded in size and in time, and symlinks may not lead outside.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSource } from '../../src/runtime/engine/file-source.js';
import { HostBuilder } from '../../src/runtime/host.js';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, workload } from '../support/host.js';

const temp: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temp.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of temp) rmSync(d, { recursive: true, force: true });
});

const start = (host: ReturnType<HostBuilder['build']>, name: string, image: string) =>
  host.workloadStart(workload(name, [{ name: 'web', image }], [HTTP_GRANT]));

describe('a host without allowed directories', () => {
  const host = new HostBuilder()
    .withEngine({ cacheDir: tempDir('skiff-cache-') })
    .withWorkDir(tempDir('skiff-work-'))
    .build();
  beforeAll(() => host.start());
  afterAll(() => host.stop());

  it('refuses every file:// image the same way, without reading it', async () => {
    const hello = await fixturePath('hello-js');
    const images = ['file:///dev/zero', 'file:///etc/passwd', 'file:///no/such/file.wasm', `file://${hello}`, hello];
    const errors = await Promise.all(
      images.map((image, i) =>
        start(host, `f${i}`, image).then(
          () => undefined,
          (err: Error & { code?: string }) => err,
        ),
      ),
    );
    for (const [i, err] of errors.entries()) {
      expect(err, images[i]).toMatchObject({ code: 'SKIFF_UNSUPPORTED_SOURCE' });
      expect(err!.message.replace(images[i]!, 'IMAGE')).toBe(
        `component "web": component IMAGE: file:// images are not allowed on this host (it has no allowed directory for them)`,
      );
    }
  });
});

describe('file:// images below an allowed directory', () => {
  let allowed: string;
  let hello: string;
  const source = () => fileSource({ roots: [allowed] });

  beforeAll(async () => {
    allowed = tempDir('skiff-images-');
    hello = await fixturePath('hello-js');
    copyFileSync(hello, join(allowed, 'hello.wasm'));
    execFileSync('mkfifo', [join(allowed, 'fifo.wasm')]);
    symlinkSync('/dev/zero', join(allowed, 'zero.wasm'));
    symlinkSync(hello, join(allowed, 'outside.wasm'));
    mkdirSync(join(allowed, 'dir.wasm'));
    writeFileSync(join(allowed, 'huge.wasm'), '');
    truncateSync(join(allowed, 'huge.wasm'), 300 * 2 ** 20); // sparse: no disk used
  });

  it('reads a regular file inside, and a host with that directory runs it', async () => {
    expect((await source().fetch({ image: `file://${allowed}/hello.wasm` })).byteLength).toBeGreaterThan(1000);
    const host = new HostBuilder()
      .withEngine({ cacheDir: tempDir('skiff-cache-') })
      .withWorkDir(tempDir('skiff-work-'))
      .withFileImageRoots([allowed])
      .build();
    await host.start();
    try {
      await expect(start(host, 'inside', `file://${allowed}/hello.wasm`)).resolves.toMatchObject({ state: 'Running' });
      await expect(start(host, 'outside', `file://${hello}`)).rejects.toMatchObject({
        code: 'SKIFF_UNSUPPORTED_SOURCE',
      });
    } finally {
      await host.stop();
    }
  });

  it.each([
    ['a file outside', () => `file://${hello}`, /is outside the directories file:\/\/ images may come from/],
    ['a path climbing out', () => `file://${allowed}/../../etc/passwd`, /is outside the directories/],
    ['a symlink leading outside', () => `file://${allowed}/outside.wasm`, /is outside the directories/],
    ['a FIFO (it would block a thread-pool thread)', () => `file://${allowed}/fifo.wasm`, /is not a regular file/],
    [
      'a device behind a symlink',
      () => `file://${allowed}/zero.wasm`,
      /is outside the directories|is not a regular file/,
    ],
    ['a directory', () => `file://${allowed}/dir.wasm`, /is not a regular file/],
    ['a file larger than the cap', () => `file://${allowed}/huge.wasm`, /larger than 268435456 bytes/],
  ])('refuses %s', async (_, image, message) => {
    await expect(source().fetch({ image: image() })).rejects.toThrow(message);
  });

  it('gives up on a read that does not finish in time', async () => {
    const slow = fileSource({ roots: [allowed], timeoutMs: 1, maxBytes: 512 * 2 ** 20 });
    await expect(slow.fetch({ image: `file://${allowed}/huge.wasm` })).rejects.toMatchObject({
      code: 'SKIFF_FETCH_FAILED',
      message: expect.stringMatching(/not read completely within 1 ms/),
    });
  });
});
