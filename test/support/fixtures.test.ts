/**
 * A fixture that cannot be built fails only the tests that ask for it: the others still
 * build, the failure is kept by name, and a missing Debian package is named.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FixtureBuilder } from '../../tools/fixtures/build.js';
import type { FixtureSpec } from '../../tools/fixtures/catalog.js';
import { missingCPackages } from '../../tools/fixtures/c-guest.js';
import { fixtureFrom } from './fixtures.js';

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function spec(name: string, build: FixtureSpec['build']): FixtureSpec {
  return { name, inputs: () => [], labels: () => [name], build };
}

describe('fixture builds', () => {
  it('keeps building after one fixture fails, and fails what depends on it with the same message', async () => {
    const builder = new FixtureBuilder(
      [
        spec('ok-before', async () => new Uint8Array([1])),
        spec('broken', async () => {
          throw new Error('needs the Debian package libclang-rt-14-dev-wasm32');
        }),
        spec('depends-on-broken', async (dep) => {
          await dep('broken');
          return new Uint8Array([2]);
        }),
        spec('ok-after', async () => new Uint8Array([3])),
      ],
      tempDir('skiff-fixture-cache-'),
    );
    const report = await builder.buildAll();
    expect(Object.keys(report.built).sort()).toEqual(['ok-after', 'ok-before']);
    expect(report.failed).toEqual({
      broken: expect.stringContaining('libclang-rt-14-dev-wasm32'),
      'depends-on-broken': expect.stringContaining('libclang-rt-14-dev-wasm32'),
    });
  });

  it('turns a recorded failure into a rejection for the test that asks for that fixture only', async () => {
    const failed = { 'hello-c': 'hello-c: missing Debian packages: libclang-rt-14-dev-wasm32' };
    await expect(fixtureFrom(failed, 'hello-c', async () => '/never')).rejects.toThrow(
      /fixture hello-c is not available: .*libclang-rt-14-dev-wasm32/,
    );
    await expect(fixtureFrom(failed, 'hello-js', async () => '/built/hello-js.wasm')).resolves.toBe(
      '/built/hello-js.wasm',
    );
  });

  it('names the Debian packages the C guest toolchain lacks', () => {
    const empty = tempDir('skiff-empty-root-');
    expect(missingCPackages({ root: empty, path: empty })).toEqual([
      'clang',
      'lld',
      'wasi-libc',
      'libclang-rt-14-dev-wasm32',
    ]);
  });
});
