import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWasiImports, type WasiImports } from '../index.js';
import { type GuestInput, type GuestOutput, preopensOf, rootOf, text, wasiError } from '../testing.js';
import type { Descriptor } from './descriptor.js';
import type { DirectoryEntryStream } from './directory.js';

let tmp: string;
let data: string;
let wasi: WasiImports;
let root: Descriptor;

const RW = { read: true, write: true };
const CREATE = { create: true };

function readAll(stream: GuestInput): string {
  const chunks: Uint8Array[] = [];
  for (;;) {
    try {
      chunks.push(stream.blockingRead(3n));
    } catch (err) {
      expect(err).toEqual({ tag: 'closed' });
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function writeFile(path: string, contents: string): void {
  const file = root.openAt({}, path, { create: true, truncate: true }, { write: true });
  const out = file.writeViaStream(0n) as GuestOutput;
  out.checkWrite();
  out.write(text(contents));
  out.blockingFlush();
  out[Symbol.dispose]();
  file[Symbol.dispose]();
}

function entries(dir: Descriptor): string[] {
  const stream = dir.readDirectory() as DirectoryEntryStream;
  const names: string[] = [];
  for (let e = stream.readDirectoryEntry(); e !== undefined; e = stream.readDirectoryEntry()) {
    names.push(`${e.name}:${e.type}`);
  }
  return names.sort();
}

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'skiff-wasi-'));
  data = join(tmp, 'data');
  mkdirSync(data);
  wasi = createWasiImports({ preopens: [{ guestPath: '/data', hostPath: data, readOnly: false }] });
  root = rootOf(wasi);
});

afterEach(() => {
  wasi.control.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('wasi:filesystem preopens', () => {
  it('lists only the given preopens, as fresh directory descriptors', () => {
    const [first, ...rest] = preopensOf(wasi);
    const [dir, guestPath] = first!;
    expect(guestPath).toBe('/data');
    expect(rest).toEqual([]);
    expect(dir.getType()).toBe('directory');
    expect(dir.getFlags()).toEqual({ read: true, mutateDirectory: true });
    expect(preopensOf(wasi)[0]![0]).not.toBe(dir);
    expect(preopensOf(createWasiImports({}))).toEqual([]);
  });
});

describe('wasi:filesystem descriptor', () => {
  it('creates, writes and reads a file through streams', () => {
    writeFile('hello.txt', 'hello, world');
    expect(readFileSync(join(data, 'hello.txt'), 'utf8')).toBe('hello, world');
    const file = root.openAt({}, 'hello.txt', {}, { read: true });
    expect(file.getType()).toBe('regular-file');
    expect(file.getFlags()).toEqual({ read: true });
    expect(readAll(file.readViaStream(7n) as GuestInput)).toBe('world');
  });

  it('appends through append-via-stream', () => {
    writeFileSync(join(data, 'log'), 'a');
    const file = root.openAt({}, 'log', {}, { write: true });
    const out = file.appendViaStream() as GuestOutput;
    out.blockingWriteAndFlush(text('b'));
    writeFileSync(join(data, 'log'), 'ac');
    out.blockingWriteAndFlush(text('d'));
    expect(readFileSync(join(data, 'log'), 'utf8')).toBe('acd');
  });

  it('reads and writes at offsets, reporting end of file', () => {
    const file = root.openAt({}, 'f', CREATE, RW);
    expect(file.write(text('0123456789'), 0n)).toBe(10n);
    expect(file.write(text('AB'), 4n)).toBe(2n);
    const [bytes, eof] = file.read(4n, 3n);
    expect(Buffer.from(bytes).toString()).toBe('3AB6');
    expect(eof).toBe(false);
    const [tail, end] = file.read(100n, 8n);
    expect(Buffer.from(tail).toString()).toBe('89');
    expect(end).toBe(true);
  });

  it('stats descriptors and paths, following symlinks only when asked', () => {
    writeFileSync(join(data, 'f'), 'abc');
    symlinkSync('f', join(data, 'link'));
    const st = root.statAt({}, 'f');
    expect(st.type).toBe('regular-file');
    expect(st.size).toBe(3n);
    expect(st.linkCount).toBe(1n);
    expect(typeof st.dataModificationTimestamp?.seconds).toBe('bigint');
    expect(root.statAt({}, 'link').type).toBe('symbolic-link');
    expect(root.statAt({ symlinkFollow: true }, 'link').type).toBe('regular-file');
    expect(root.stat().type).toBe('directory');
    expect(root.openAt({}, 'f', {}, { read: true }).stat().size).toBe(3n);
  });

  it('creates, lists and removes directories', () => {
    root.createDirectoryAt('sub');
    root.createDirectoryAt('sub/inner');
    writeFileSync(join(data, 'sub', 'file'), 'x');
    expect(wasiError(() => root.createDirectoryAt('sub'))).toBe('exist');
    const sub = root.openAt({}, 'sub', { directory: true }, { read: true });
    expect(entries(sub)).toEqual(['file:regular-file', 'inner:directory']);
    expect(wasiError(() => root.removeDirectoryAt('sub'))).toBe('not-empty');
    sub.removeDirectoryAt('inner');
    sub.unlinkFileAt('file');
    root.removeDirectoryAt('sub');
    expect(entries(root)).toEqual([]);
  });

  it('unlinks files, renames within the preopen, and handles symlinks', () => {
    writeFileSync(join(data, 'a'), 'A');
    root.renameAt('a', root, 'b');
    expect(readFileSync(join(data, 'b'), 'utf8')).toBe('A');
    root.symlinkAt('b', 'to-b');
    expect(root.readlinkAt('to-b')).toBe('b');
    const viaLink = root.openAt({ symlinkFollow: true }, 'to-b', {}, { read: true });
    expect(readAll(viaLink.readViaStream(0n) as GuestInput)).toBe('A');
    root.linkAt({}, 'b', root, 'hard');
    expect(statSync(join(data, 'b')).nlink).toBe(2);
    root.unlinkFileAt('b');
    expect(wasiError(() => root.statAt({}, 'b'))).toBe('no-entry');
    expect(wasiError(() => root.unlinkFileAt('b'))).toBe('no-entry');
    root.createDirectoryAt('d');
    expect(wasiError(() => root.unlinkFileAt('d'))).toBe('is-directory');
  });

  it('sets times and sizes', () => {
    const file = root.openAt({}, 'f', CREATE, RW);
    file.write(text('0123456789'), 0n);
    file.setSize(4n);
    expect(file.stat().size).toBe(4n);
    file.setTimes({ tag: 'timestamp', val: { seconds: 1_000_000n, nanoseconds: 0 } }, { tag: 'no-change' });
    expect(file.stat().dataAccessTimestamp?.seconds).toBe(1_000_000n);
    root.setTimesAt({}, 'f', { tag: 'no-change' }, { tag: 'timestamp', val: { seconds: 2_000_000n, nanoseconds: 0 } });
    const st = root.statAt({}, 'f');
    expect(st.dataModificationTimestamp?.seconds).toBe(2_000_000n);
    expect(st.dataAccessTimestamp?.seconds).toBe(1_000_000n);
    root.setTimesAt({}, 'f', { tag: 'now' }, { tag: 'now' });
    expect(Number(root.statAt({}, 'f').dataModificationTimestamp?.seconds)).toBeGreaterThan(1_700_000_000);
    file.sync();
    file.syncData();
    root.sync();
    file.advise(0n, 4n, 'sequential');
  });

  it('identifies objects by metadata hash and is-same-object', () => {
    writeFileSync(join(data, 'f'), 'x');
    writeFileSync(join(data, 'g'), 'y');
    const f1 = root.openAt({}, 'f', {}, { read: true });
    const f2 = root.openAt({}, 'f', {}, { read: true });
    const g = root.openAt({}, 'g', {}, { read: true });
    expect(f1.isSameObject(f2)).toBe(true);
    expect(f1.isSameObject(g)).toBe(false);
    expect(f1.metadataHash()).toEqual(root.metadataHashAt({}, 'f'));
    expect(f1.metadataHash()).not.toEqual(g.metadataHash());
    expect(typeof f1.metadataHash().lower).toBe('bigint');
  });

  it('reports WIT error codes for misuse', () => {
    writeFileSync(join(data, 'f'), 'x');
    expect(wasiError(() => root.openAt({}, 'missing', {}, { read: true }))).toBe('no-entry');
    expect(wasiError(() => root.openAt({}, 'f', { create: true, exclusive: true }, RW))).toBe('exist');
    expect(wasiError(() => root.openAt({}, 'f', { directory: true }, { read: true }))).toBe('not-directory');
    expect(wasiError(() => root.openAt({}, 'f/', {}, { read: true }))).toBe('not-directory');
    expect(wasiError(() => root.openAt({}, '.', {}, RW))).toBe('is-directory');
    expect(wasiError(() => root.readViaStream(0n))).toBe('is-directory');
    expect(wasiError(() => root.openAt({}, 'f', {}, { read: true }).readDirectory())).toBe('not-directory');
    const readOnly = root.openAt({}, 'f', {}, { read: true });
    expect(wasiError(() => readOnly.writeViaStream(0n))).toBe('bad-descriptor');
    expect(wasiError(() => readOnly.write(text('x'), 0n))).toBe('bad-descriptor');
    const writeOnly = root.openAt({}, 'f', {}, { write: true });
    expect(wasiError(() => writeOnly.readViaStream(0n))).toBe('bad-descriptor');
    expect(wasiError(() => root.openAt({}, '', {}, { read: true }))).toBe('no-entry');
  });

  it('keeps a file open for its streams and closes everything on control.close', () => {
    writeFileSync(join(data, 'f'), 'abc');
    const file = root.openAt({}, 'f', {}, RW);
    const input = file.readViaStream(0n) as GuestInput;
    const output = file.writeViaStream(3n) as GuestOutput;
    file[Symbol.dispose]();
    expect(wasi.control.openFiles).toBe(1);
    expect(Buffer.from(input.blockingRead(10n)).toString()).toBe('abc');
    input[Symbol.dispose]();
    wasi.control.close();
    expect(wasi.control.openFiles).toBe(0);
    const err = wasiError(() => output.checkWrite()) as { tag: string; val: unknown };
    expect(err.tag).toBe('last-operation-failed');
    const code = wasi['wasi:filesystem/types'].filesystemErrorCode as (e: unknown) => unknown;
    expect(code(err.val)).toBe('bad-descriptor');
    expect(code(new Error('not from a file'))).toBeUndefined();
  });
});
