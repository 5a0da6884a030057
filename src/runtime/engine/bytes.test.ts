import { describe, expect, it } from 'vitest';
import { InvalidComponentError } from '../errors.js';
import { checkComponentBytes, componentWorldNames, limitMemory, MAX_SECTIONS, walkSections } from './bytes.js';

// A core module with one memory (min 1, max 100 pages) and nothing else.
const coreWithMemory = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x04, 0x01, 0x01, 0x01, 0x64]);
// A core module with one memory of min 2 and no max.
const coreUnbounded = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x02]);
// An empty component (header only) and one with a custom section.
const emptyComponent = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
const componentWithSection = new Uint8Array([...emptyComponent, 0x00, 0x03, 0x02, 0x68, 0x69]);

describe('checkComponentBytes', () => {
  it('accepts a well-formed component', () => {
    expect(() => checkComponentBytes(componentWithSection, 'c')).not.toThrow();
  });

  it('rejects bytes that are not wasm', () => {
    const bytes = new TextEncoder().encode('definitely not wasm');
    expect(() => checkComponentBytes(bytes, 'component x')).toThrow(InvalidComponentError);
    expect(() => checkComponentBytes(bytes, 'component x')).toThrow(/component x is not a WebAssembly binary/);
  });

  it('rejects a core module with a hint', () => {
    expect(() => checkComponentBytes(coreWithMemory, 'c')).toThrow(/core WebAssembly module, not a component/);
  });

  it('rejects a truncated component', () => {
    const truncated = componentWithSection.subarray(0, componentWithSection.length - 1);
    expect(() => checkComponentBytes(truncated, 'c')).toThrow(/truncated or corrupt/);
  });

  it('rejects an empty file', () => {
    expect(() => checkComponentBytes(new Uint8Array(), 'c')).toThrow(/not a WebAssembly binary/);
  });

  // A component header followed by megabytes of tiny sections: the walk stops at the first one
  // that breaks a limit instead of listing millions of sections (seconds and gigabytes before).
  it('rejects an empty section (every component section has at least one byte)', () => {
    const bytes = repeated([0x0a, 0x00], 5_000_000);
    expect(() => checkComponentBytes(bytes, 'c')).toThrow(/c is truncated or corrupt: section 10 at byte 8 is empty/);
  });

  it(`rejects more than ${MAX_SECTIONS} top-level sections`, () => {
    const bytes = repeated([0x00, 0x01, 0x00], 3_000_000); // custom sections with an empty name
    expect(() => checkComponentBytes(bytes, 'c')).toThrow(`c is truncated or corrupt: more than ${MAX_SECTIONS} sections`);
  });
});

/** repeated is a component header followed by `count` copies of `section`. */
function repeated(section: number[], count: number): Uint8Array {
  const bytes = new Uint8Array(emptyComponent.length + section.length * count);
  bytes.set(emptyComponent);
  for (let i = 0; i < count; i++) bytes.set(section, emptyComponent.length + i * section.length);
  return bytes;
}

describe('limitMemory', () => {
  it('lowers an existing maximum', async () => {
    const limited = limitMemory(coreWithMemory, 10 * 65536);
    const module = await WebAssembly.compile(limited as Uint8Array<ArrayBuffer>);
    const instance = await WebAssembly.instantiate(module);
    expect(instance).toBeDefined();
    expect(walkSections(limited).find((s) => s.id === 5)).toBeDefined();
    expect(Array.from(limited.slice(-3))).toEqual([0x01, 0x01, 0x0a]);
  });

  it('adds a maximum where there was none, never below the minimum', () => {
    expect(Array.from(limitMemory(coreUnbounded, 65536 * 5).slice(-3))).toEqual([0x01, 0x02, 0x05]);
    expect(Array.from(limitMemory(coreUnbounded, 1).slice(-3))).toEqual([0x01, 0x02, 0x02]);
  });

  it('never sets a maximum past 65536 pages (4 GiB, all wasm32 can address): 100Gi compiles', async () => {
    const limited = limitMemory(coreUnbounded, 100 * 2 ** 30);
    expect(Array.from(limited.slice(-5))).toEqual([0x01, 0x02, 0x80, 0x80, 0x04]);
    await expect(WebAssembly.compile(limited as Uint8Array<ArrayBuffer>)).resolves.toBeDefined();
  });

  it('treats a limit that is not a finite number as 4 GiB instead of looping', () => {
    for (const limit of [Number.POSITIVE_INFINITY, Number.NaN]) {
      expect(Array.from(limitMemory(coreUnbounded, limit).slice(-5))).toEqual([0x01, 0x02, 0x80, 0x80, 0x04]);
    }
  });

  it('enforces the limit on memory.grow inside the guest', async () => {
    // (module (memory (export "m") 1) (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
    const wasm = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01,
      0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x0c, 0x02, 0x01, 0x6d, 0x02, 0x00, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00,
      0x00, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b,
    ]);
    const { instance } = (await WebAssembly.instantiate(
      limitMemory(wasm, 4 * 65536) as Uint8Array<ArrayBuffer>,
    )) as unknown as { instance: WebAssembly.Instance };
    const grow = instance.exports.grow as (n: number) => number;
    expect(grow(2)).toBe(1);
    expect(grow(2)).toBe(-1);
    expect(grow(1)).toBe(3);
  });
});

describe('componentWorldNames', () => {
  it('reads import and export names from the top-level sections', () => {
    const enc = new TextEncoder();
    const name = (s: string) => [0x00, s.length, ...enc.encode(s)];
    // import section: 2 imports — an instance (05 00) and a func (01 03)
    const imports = [0x02, ...name('wasi:io/error@0.2.0'), 0x05, 0x00, ...name('greet'), 0x01, 0x03];
    // export section: 1 export — instance 2, no type ascription
    const exports = [0x01, ...name('wasi:http/incoming-handler@0.2.0'), 0x05, 0x02, 0x00];
    const bytes = new Uint8Array([
      ...emptyComponent,
      0x0a,
      imports.length,
      ...imports,
      0x0b,
      exports.length,
      ...exports,
    ]);
    expect(componentWorldNames(bytes)).toEqual({
      imports: ['wasi:io/error@0.2.0', 'greet'],
      exports: ['wasi:http/incoming-handler@0.2.0'],
    });
  });

  it('refuses a section it cannot read instead of guessing', () => {
    const bytes = new Uint8Array([...emptyComponent, 0x0a, 0x03, 0x01, 0x07, 0x00]);
    expect(() => componentWorldNames(bytes)).toThrow();
  });
});
