import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../test/support/fixtures.js';
import { ComponentInspector } from './inspector.js';

const inspector = new ComponentInspector();
afterAll(() => inspector.close());

describe('ComponentInspector', () => {
  it('checks a component and reads its names on another thread', async () => {
    const bytes = new Uint8Array(await readFile(await fixturePath('hello-js')));
    const names = await inspector.check(bytes, 'component hello');
    expect(names?.exports).toContain('wasi:http/incoming-handler@0.2.10');
    expect(names?.imports.length).toBeGreaterThan(3);
  });

  it('refuses bad bytes with the check error, as an InvalidComponentError', async () => {
    await expect(inspector.check(new TextEncoder().encode('not wasm at all'), 'component x')).rejects.toMatchObject({
      code: 'SKIFF_INVALID_COMPONENT',
      message: 'component x is not a WebAssembly binary (missing the \\0asm header)',
    });
  });

  it('gives up on a check that does not finish in time, and the next check gets a fresh thread', async () => {
    const slow = new ComponentInspector({ timeoutMs: 1 });
    try {
      const bytes = new Uint8Array(await readFile(await fixturePath('hello-js')));
      await expect(slow.check(bytes, 'component slow')).rejects.toMatchObject({
        code: 'SKIFF_INVALID_COMPONENT',
        message: 'component slow could not be checked within 1 ms',
      });
    } finally {
      await slow.close();
    }
    const bytes = new Uint8Array(await readFile(await fixturePath('hello-c')));
    await expect(inspector.check(bytes, 'component c')).resolves.toBeDefined();
  });

  it('reads the names of a component through jco when asked for its WIT', async () => {
    const bytes = new Uint8Array(await readFile(await fixturePath('hello-c')));
    const { imports, exports } = await inspector.wit(bytes, 'component c');
    expect(exports.length).toBeGreaterThan(0);
    expect(imports.every((i) => typeof i.name === 'string')).toBe(true);
  });
});
