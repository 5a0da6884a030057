/**
 * Checks on raw component bytes before jco sees them, and the memory-limit rewrite of
 * core modules. Everything here is synchronous and pure, and bounded: untrusted bytes are
 * checked on the inspector's thread (inspector.ts), never on the host's main thread.
 */
import { InvalidComponentError } from '../errors.js';

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const PAGE = 65536;
const MAX_PAGES = 65536;

function readLeb(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let pos = offset;
  for (;;) {
    if (pos >= bytes.length) throw new RangeError('truncated LEB128');
    const byte = bytes[pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: pos };
    shift += 7;
    if (shift > 35) throw new RangeError('LEB128 too long');
  }
}

function writeLeb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/**
 * MAX_SECTIONS bounds the top-level sections of a binary. Real components have hundreds
 * (a 14 MB componentize-js guest: 586); a crafted file of millions of tiny sections would
 * otherwise cost seconds and gigabytes to list.
 */
export const MAX_SECTIONS = 50_000;

/**
 * walkSections returns the top-level sections of a wasm binary. It throws if one runs past
 * the end, is empty (every core and component section holds at least a count or a name),
 * or if there are more than MAX_SECTIONS.
 */
export function walkSections(bytes: Uint8Array): { id: number; header: number; start: number; end: number }[] {
  const sections: { id: number; header: number; start: number; end: number }[] = [];
  let pos = 8;
  while (pos < bytes.length) {
    if (sections.length === MAX_SECTIONS) throw new RangeError(`more than ${MAX_SECTIONS} sections`);
    const id = bytes[pos]!;
    const { value: size, next } = readLeb(bytes, pos + 1);
    if (size === 0) throw new RangeError(`section ${id} at byte ${pos} is empty`);
    const end = next + size;
    if (end > bytes.length) {
      throw new RangeError(`section ${id} at byte ${pos} needs ${size} bytes but only ${bytes.length - next} remain`);
    }
    sections.push({ id, header: pos, start: next, end });
    pos = end;
  }
  return sections;
}

/**
 * checkComponentBytes throws an InvalidComponentError unless `bytes` is a complete
 * WebAssembly component (not random bytes, not a core module, not truncated).
 */
export function checkComponentBytes(bytes: Uint8Array, what: string): void {
  if (bytes.length < 8 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new InvalidComponentError(`${what} is not a WebAssembly binary (missing the \\0asm header)`);
  }
  const version = bytes[4]! | (bytes[5]! << 8);
  const layer = bytes[6]! | (bytes[7]! << 8);
  if (layer === 0) {
    throw new InvalidComponentError(
      `${what} is a core WebAssembly module, not a component; wrap it with \`wasm-tools component new\` or build for wasm32-wasip2`,
    );
  }
  if (layer !== 1 || version !== 0x0d) {
    throw new InvalidComponentError(
      `${what} is a WebAssembly binary of an unsupported kind (version 0x${version.toString(16)}, layer ${layer})`,
    );
  }
  try {
    walkSections(bytes);
  } catch (err) {
    throw new InvalidComponentError(`${what} is truncated or corrupt: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * limitMemory rewrites a core module so each memory it defines may grow to at most
 * `maxBytes` (rounded down to whole pages, at least its minimum, at most 4 GiB). Imported memories and
 * modules without a memory are returned unchanged.
 */
export function limitMemory(module: Uint8Array, maxBytes: number): Uint8Array {
  const sections = walkSections(module);
  const memory = sections.find((s) => s.id === 5);
  if (!memory) return module;
  // wasm32 addresses at most 65536 pages; a limit past that (or not a number at all) means "as much as possible".
  const limitPages = Number.isFinite(maxBytes)
    ? Math.min(MAX_PAGES, Math.max(1, Math.floor(maxBytes / PAGE)))
    : MAX_PAGES;
  let pos = memory.start;
  const count = readLeb(module, pos);
  pos = count.next;
  const body: number[] = [...writeLeb(count.value)];
  for (let i = 0; i < count.value; i++) {
    const flags = module[pos++]!;
    if (flags & 0x04) return module; // memory64: leave it alone
    const min = readLeb(module, pos);
    pos = min.next;
    let max: number | undefined;
    if (flags & 0x01) {
      const m = readLeb(module, pos);
      pos = m.next;
      max = m.value;
    }
    const newMax = Math.max(min.value, Math.min(max ?? Number.POSITIVE_INFINITY, limitPages));
    body.push(flags | 0x01, ...writeLeb(min.value), ...writeLeb(newMax));
  }
  const sectionStart = memory.header;
  const out = new Uint8Array(
    sectionStart + 1 + writeLeb(body.length).length + body.length + (module.length - memory.end),
  );
  out.set(module.subarray(0, sectionStart), 0);
  let o = sectionStart;
  out[o++] = 5;
  for (const b of writeLeb(body.length)) out[o++] = b;
  out.set(body, o);
  o += body.length;
  out.set(module.subarray(memory.end), o);
  return out;
}

class Reader {
  pos: number;
  readonly #bytes: Uint8Array;
  readonly #end: number;
  constructor(bytes: Uint8Array, start: number, end: number) {
    this.#bytes = bytes;
    this.pos = start;
    this.#end = end;
  }
  byte(): number {
    if (this.pos >= this.#end) throw new RangeError('unexpected end of section');
    return this.#bytes[this.pos++]!;
  }
  leb(): number {
    const { value, next } = readLeb(this.#bytes, this.pos);
    if (next > this.#end) throw new RangeError('unexpected end of section');
    this.pos = next;
    return value;
  }
  name(): string {
    const len = this.leb();
    if (this.pos + len > this.#end) throw new RangeError('name runs past the section');
    const text = new TextDecoder('utf-8', { fatal: true }).decode(this.#bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return text;
  }
}

function externName(r: Reader): string {
  const kind = r.byte();
  if (kind !== 0x00 && kind !== 0x01) throw new RangeError(`unknown extern name kind 0x${kind.toString(16)}`);
  const name = r.name();
  if (kind === 0x01) r.name(); // a version suffix, already part of the name
  return name;
}

function skipExternDesc(r: Reader): void {
  const sort = r.byte();
  if (sort === 0x00) {
    r.byte(); // core sort (module)
    r.leb();
  } else if (sort === 0x01 || sort === 0x04 || sort === 0x05) {
    r.leb();
  } else if (sort === 0x02 || sort === 0x03) {
    if (r.byte() === 0x00) r.leb();
    else if (sort === 0x02) r.leb(); // valtype: a primitive byte or a type index, both one LEB
  } else {
    throw new RangeError(`unknown extern kind 0x${sort.toString(16)}`);
  }
}

/**
 * componentWorldNames reads the names a component imports and exports at its top level
 * (`wasi:http/types@0.2.0`, `run`) straight from its import and export sections — much
 * cheaper than printing its WIT.
 */
export function componentWorldNames(bytes: Uint8Array): { imports: string[]; exports: string[] } {
  const imports: string[] = [];
  const exports: string[] = [];
  for (const section of walkSections(bytes)) {
    if (section.id !== 10 && section.id !== 11) continue;
    const r = new Reader(bytes, section.start, section.end);
    const count = r.leb();
    for (let i = 0; i < count; i++) {
      const name = externName(r);
      if (section.id === 10) {
        skipExternDesc(r);
        imports.push(name);
      } else {
        const sort = r.byte();
        if (sort === 0x00) r.byte();
        r.leb();
        if (r.byte() === 0x01) skipExternDesc(r);
        exports.push(name);
      }
    }
  }
  return { imports, exports };
}
