import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWasiImports, type WasiImports } from '../index.js';
import { type GuestInput, rootOf, text, wasiError } from '../testing.js';
import type { Descriptor } from './descriptor.js';

let tmp: string;
let data: string;
let outside: string;
let wasi: WasiImports;
let root: Descriptor;

const FOLLOW = { symlinkFollow: true };

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'skiff-wasi-escape-'));
  data = join(tmp, 'data');
  outside = join(tmp, 'outside');
  mkdirSync(join(data, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'top secret');
  writeFileSync(join(data, 'inside'), 'fine');
  symlinkSync(join(outside, 'secret'), join(data, 'abs-link'));
  symlinkSync('../outside/secret', join(data, 'rel-link'));
  symlinkSync(outside, join(data, 'dir-link'));
  symlinkSync(join(data, 'inside'), join(data, 'abs-inside'));
  symlinkSync('../inside', join(data, 'sub', 'up-inside'));
  wasi = createWasiImports({ preopens: [{ guestPath: '/data', hostPath: data, readOnly: false }] });
  root = rootOf(wasi);
});

afterEach(() => {
  // Nothing outside the preopen was read into or changed.
  expect(readdirSync(outside)).toEqual(['secret']);
  expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('top secret');
  wasi.control.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('wasi:filesystem sandbox', () => {
  it('refuses absolute paths', () => {
    const abs = join(outside, 'secret');
    expect(wasiError(() => root.openAt({}, abs, {}, { read: true }))).toBe('not-permitted');
    expect(wasiError(() => root.openAt({}, '/etc/passwd', {}, { read: true }))).toBe('not-permitted');
    expect(wasiError(() => root.statAt({}, '/'))).toBe('not-permitted');
    expect(wasiError(() => root.createDirectoryAt(join(outside, 'x')))).toBe('not-permitted');
    expect(wasiError(() => root.unlinkFileAt(abs))).toBe('not-permitted');
  });

  it('refuses .. above the directory, however it is spelled', () => {
    for (const path of ['..', '../outside/secret', 'sub/../../outside/secret', './sub/./../..', 'sub/../sub/../../x']) {
      expect(
        wasiError(() => root.openAt({}, path, {}, { read: true })),
        path,
      ).toBe('not-permitted');
      expect(
        wasiError(() => root.statAt({}, path)),
        path,
      ).toBe('not-permitted');
    }
    expect(wasiError(() => root.createDirectoryAt('../outside/new'))).toBe('not-permitted');
    expect(wasiError(() => root.renameAt('inside', root, '../outside/stolen'))).toBe('not-permitted');
    expect(wasiError(() => root.renameAt('../outside/secret', root, 'stolen'))).toBe('not-permitted');
    expect(wasiError(() => root.linkAt({}, '../outside/secret', root, 'hard'))).toBe('not-permitted');
    expect(wasiError(() => root.removeDirectoryAt('..'))).toBe('not-permitted');
    // `..` that stays inside is fine.
    expect(root.statAt({}, 'sub/../inside').type).toBe('regular-file');
  });

  it('refuses .. above a directory opened below the preopen', () => {
    const sub = root.openAt({}, 'sub', { directory: true }, { read: true });
    expect(wasiError(() => sub.openAt({}, '../inside', {}, { read: true }))).toBe('not-permitted');
    expect(wasiError(() => sub.statAt(FOLLOW, 'up-inside'))).toBe('not-permitted');
  });

  it('refuses to follow symlinks that lead outside', () => {
    for (const link of ['abs-link', 'rel-link']) {
      expect(
        wasiError(() => root.openAt(FOLLOW, link, {}, { read: true })),
        link,
      ).toBe('not-permitted');
      expect(
        wasiError(() => root.statAt(FOLLOW, link)),
        link,
      ).toBe('not-permitted');
      expect(wasiError(() => root.openAt(FOLLOW, link, { create: true, truncate: true }, { write: true }))).toBe(
        'not-permitted',
      );
      // Not following: the link itself is visible, never its target.
      expect(root.statAt({}, link).type).toBe('symbolic-link');
      expect(wasiError(() => root.openAt({}, link, {}, { read: true }))).toBe('loop');
    }
  });

  it('refuses paths through a symlinked directory that leads outside', () => {
    for (const flags of [{}, FOLLOW]) {
      expect(wasiError(() => root.openAt(flags, 'dir-link/secret', {}, { read: true }))).toBe('not-permitted');
      expect(wasiError(() => root.statAt(flags, 'dir-link/secret'))).toBe('not-permitted');
    }
    expect(wasiError(() => root.openAt(FOLLOW, 'dir-link', { directory: true }, { read: true }))).toBe('not-permitted');
    expect(wasiError(() => root.openAt(FOLLOW, 'dir-link/', {}, { read: true }))).toBe('not-permitted');
    expect(wasiError(() => root.createDirectoryAt('dir-link/new'))).toBe('not-permitted');
    expect(wasiError(() => root.unlinkFileAt('dir-link/secret'))).toBe('not-permitted');
    expect(wasiError(() => root.symlinkAt('x', 'dir-link/planted'))).toBe('not-permitted');
    expect(wasiError(() => root.renameAt('inside', root, 'dir-link/stolen'))).toBe('not-permitted');
    expect(wasiError(() => root.setTimesAt({}, 'dir-link/secret', { tag: 'now' }, { tag: 'now' }))).toBe(
      'not-permitted',
    );
  });

  it('follows symlinks whose target stays inside', () => {
    const viaAbs = root.openAt(FOLLOW, 'abs-inside', {}, { read: true });
    expect(Buffer.from((viaAbs.readViaStream(0n) as GuestInput).blockingRead(100n)).toString()).toBe('fine');
    expect(root.statAt(FOLLOW, 'sub/up-inside').type).toBe('regular-file');
  });

  it('refuses to create symlinks that point outside', () => {
    expect(wasiError(() => root.symlinkAt(join(outside, 'secret'), 'planted'))).toBe('not-permitted');
    expect(wasiError(() => root.symlinkAt('../outside/secret', 'planted'))).toBe('not-permitted');
    expect(wasiError(() => root.symlinkAt('../../x', 'sub/planted'))).toBe('not-permitted');
    root.symlinkAt('../inside', 'sub/ok');
    expect(root.readlinkAt('sub/ok')).toBe('../inside');
  });

  it('reads a link outside as stored text only, and writes inside as usual', () => {
    expect(root.readlinkAt('rel-link')).toBe('../outside/secret');
    const file = root.openAt({}, 'inside', {}, { write: true });
    file.write(text('changed'), 0n);
    expect(readFileSync(join(data, 'inside'), 'utf8')).toBe('changed');
  });
});
