import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWasiImports, type WasiImports } from '../index.js';
import { type GuestInput, preopensOf, wasiError } from '../testing.js';
import type { Descriptor } from './descriptor.js';

let tmp: string;
let ro: string;
let rw: string;
let wasi: WasiImports;
let roDir: Descriptor;
let rwDir: Descriptor;

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'skiff-wasi-ro-'));
  ro = join(tmp, 'config');
  rw = join(tmp, 'scratch');
  mkdirSync(join(ro, 'dir'), { recursive: true });
  mkdirSync(rw);
  writeFileSync(join(ro, 'file'), 'original');
  wasi = createWasiImports({
    preopens: [
      { guestPath: '/config', hostPath: ro, readOnly: true },
      { guestPath: '/scratch', hostPath: rw, readOnly: false },
    ],
  });
  const dirs = preopensOf(wasi);
  expect(dirs.map(([, p]) => p)).toEqual(['/config', '/scratch']);
  roDir = dirs[0]![0];
  rwDir = dirs[1]![0];
});

afterEach(() => {
  wasi.control.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('wasi:filesystem read-only preopens', () => {
  it('reads', () => {
    expect(roDir.getFlags()).toEqual({ read: true, mutateDirectory: false });
    const file = roDir.openAt({}, 'file', {}, { read: true });
    expect(Buffer.from((file.readViaStream(0n) as GuestInput).blockingRead(100n)).toString()).toBe('original');
    expect(roDir.statAt({}, 'dir').type).toBe('directory');
  });

  it('refuses every write with read-only', () => {
    const now = { tag: 'now' } as const;
    const attempts: Record<string, () => unknown> = {
      'open for write': () => roDir.openAt({}, 'file', {}, { read: true, write: true }),
      'open create': () => roDir.openAt({}, 'new', { create: true }, { read: true }),
      'open truncate': () => roDir.openAt({}, 'file', { truncate: true }, { read: true }),
      'create-directory-at': () => roDir.createDirectoryAt('newdir'),
      'remove-directory-at': () => roDir.removeDirectoryAt('dir'),
      'unlink-file-at': () => roDir.unlinkFileAt('file'),
      'rename-at': () => roDir.renameAt('file', roDir, 'moved'),
      'symlink-at': () => roDir.symlinkAt('file', 'link'),
      'link-at': () => roDir.linkAt({}, 'file', roDir, 'hard'),
      'set-times-at': () => roDir.setTimesAt({}, 'file', now, now),
      'set-times': () => roDir.setTimes(now, now),
      'subdir create': () => roDir.openAt({}, 'dir', { directory: true }, { read: true }).createDirectoryAt('x'),
    };
    for (const [what, attempt] of Object.entries(attempts)) {
      expect(wasiError(attempt), what).toBe('read-only');
    }
    const sub = roDir.openAt({}, 'dir', { directory: true }, { read: true, mutateDirectory: true });
    expect(sub.getFlags()).toEqual({ read: true, mutateDirectory: false });
    expect(wasiError(() => sub.createDirectoryAt('y'))).toBe('read-only');
    const file = roDir.openAt({}, 'file', {}, { read: true });
    for (const attempt of [() => file.writeViaStream(0n), () => file.appendViaStream(), () => file.setSize(0n)]) {
      expect(wasiError(attempt)).toBe('bad-descriptor');
    }
    expect(readdirSync(ro).sort()).toEqual(['dir', 'file']);
    expect(readdirSync(join(ro, 'dir'))).toEqual([]);
    expect(readFileSync(join(ro, 'file'), 'utf8')).toBe('original');
  });

  it('refuses moving or linking between preopens', () => {
    writeFileSync(join(rw, 'mine'), 'x');
    expect(wasiError(() => rwDir.renameAt('mine', roDir, 'mine'))).toBe('cross-device');
    expect(wasiError(() => roDir.renameAt('file', rwDir, 'file'))).toBe('cross-device');
    expect(wasiError(() => rwDir.linkAt({}, 'mine', roDir, 'mine'))).toBe('cross-device');
    expect(statSync(join(rw, 'mine')).isFile()).toBe(true);
  });

  it('keeps the writable preopen writable', () => {
    rwDir.createDirectoryAt('d');
    const file = rwDir.openAt({}, 'd/f', { create: true }, { read: true, write: true });
    file.write(new TextEncoder().encode('ok'), 0n);
    expect(readFileSync(join(rw, 'd', 'f'), 'utf8')).toBe('ok');
  });

  it('gives two workloads over different directories nothing in common', () => {
    const other = mkdtempSync(join(tmpdir(), 'skiff-wasi-other-'));
    try {
      const w2 = createWasiImports({ preopens: [{ guestPath: '/scratch', hostPath: other }] });
      const theirs = preopensOf(w2)[0]![0];
      rwDir.openAt({}, 'only-mine', { create: true }, { write: true });
      expect(wasiError(() => theirs.statAt({}, 'only-mine'))).toBe('no-entry');
      expect(preopensOf(w2).map(([, p]) => p)).toEqual(['/scratch']);
      w2.control.close();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
