/**
 * Checks on raw component bytes before jco sees them, and the memory-limit rewrite of
 * core modules. Everything here is synchronous and pure.
 */
import { InvalidComponentError } from '../errors.js';

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const PAGE = 65536;

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

/** walkSections returns the top-level sections of a wasm binary, throwing if one runs past the end. */
export function walkSections(bytes: Uint8Array): { id: number; header: number; start: number; end: number }[] {
  const sections: { id: number; header: number; start: number; end: number }[] = [];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos]!;
    const { value: size, next } = readLeb(bytes, pos + 1);
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
 * `maxBytes` (rounded down to whole pages, at least its minimum). Imported memories and
 * modules without a memory are returned unchanged.
 */
export function limitMemory(module: Uint8Array, maxBytes: number): Uint8Array {
  const sections = walkSections(module);
  const memory = sections.find((s) => s.id === 5);
  if (!memory) return module;
  const limitPages = Math.max(1, Math.floor(maxBytes / PAGE));
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
  const out = new Uint8Array(sectionStart + 1 + writeLeb(body.length).length + body.length + (module.length - memory.end));
  out.set(module.subarray(0, sectionStart), 0);
  let o = sectionStart;
  out[o++] = 5;
  for (const b of writeLeb(body.length)) out[o++] = b;
  out.set(body, o);
  o += body.length;
  out.set(module.subarray(memory.end), o);
  return out;
}
