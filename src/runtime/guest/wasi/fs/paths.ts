/**
 * Path resolution inside a sandbox. A guest path is resolved one segment at a time
 * against a directory the guest holds; every symlink on the way is read and resolved by
 * us, so the result never leaves that directory: absolute paths, `..` above it and
 * symlinks whose target lies outside it are refused with `not-permitted`.
 */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { wasiCall } from './errors.js';

const MAX_SYMLINKS = 40;

function splitGuestPath(path: string): string[] {
  if (path.includes('\0')) throw 'invalid';
  return path.split('/').filter((s) => s !== '' && s !== '.');
}

/** isWithin tells whether host path `path` is `base` or lies below it. */
export function isWithin(base: string, path: string): boolean {
  const rel = relative(base, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Resolved is a guest path resolved to a host path inside its base directory. */
export interface Resolved {
  /** host is the absolute host path; its last component may not exist yet. */
  readonly host: string;
  /** segments are the components of `host` below the base directory. */
  readonly segments: readonly string[];
  /** trailingSlash is set when the guest path ended in `/` (it must name a directory). */
  readonly trailingSlash: boolean;
}

/**
 * resolveAt resolves guest `path` against `base` (a real, symlink-free host directory).
 * With `followFinal` a symlink in the last component is followed too. Throws an
 * `error-code` string when the path is not allowed or cannot be walked.
 */
export function resolveAt(base: string, path: string, followFinal: boolean): Resolved {
  if (path === '') throw 'no-entry';
  if (path.startsWith('/')) throw 'not-permitted';
  const trailingSlash = path.endsWith('/');
  const stack: string[] = [];
  const pending = splitGuestPath(path);
  let followed = 0;
  while (pending.length > 0) {
    const seg = pending.shift()!;
    if (seg === '..') {
      if (stack.pop() === undefined) throw 'not-permitted';
      continue;
    }
    const candidate = join(base, ...stack, seg);
    const st = wasiCall(() => lstatSync(candidate, { throwIfNoEntry: false }));
    const isFinal = pending.length === 0;
    if (st === undefined) {
      if (!isFinal) throw 'no-entry';
      stack.push(seg);
      break;
    }
    if (st.isSymbolicLink() && (!isFinal || followFinal || trailingSlash)) {
      if (++followed > MAX_SYMLINKS) throw 'loop';
      const target = wasiCall(() => readlinkSync(candidate));
      if (isAbsolute(target)) {
        // An absolute target is allowed only when it names a place inside base.
        if (!isWithin(base, target)) throw 'not-permitted';
        stack.length = 0;
        pending.unshift(
          ...relative(base, target)
            .split(sep)
            .filter((s) => s !== ''),
        );
      } else {
        pending.unshift(...splitGuestPath(target));
      }
      continue;
    }
    if (!isFinal && !st.isDirectory()) throw 'not-directory';
    stack.push(seg);
  }
  const host = join(base, ...stack);
  assertContained(base, host);
  return { host, segments: stack, trailingSlash };
}

/**
 * assertContained checks with realpath that the existing part of `host` still lies inside
 * `base`, so a symlink swapped in between our checks cannot lead outside.
 */
function assertContained(base: string, host: string): void {
  let probe = host;
  for (;;) {
    let real: string | undefined;
    try {
      // The last component may be a symlink we were told not to follow: check its parent.
      const st = lstatSync(probe, { throwIfNoEntry: false });
      if (st !== undefined && !st.isSymbolicLink()) real = realpathSync(probe);
    } catch {
      real = undefined;
    }
    if (real !== undefined) {
      if (!isWithin(base, real)) throw 'not-permitted';
      return;
    }
    if (probe === base || !isWithin(base, probe)) return;
    probe = join(probe, '..');
  }
}

/**
 * checkSymlinkTarget refuses a new symlink whose target is absolute or climbs above
 * `base` from the directory (`parentSegments`) the link is created in.
 */
export function checkSymlinkTarget(parentSegments: readonly string[], target: string): void {
  if (target === '') throw 'no-entry';
  if (isAbsolute(target)) throw 'not-permitted';
  const stack = [...parentSegments];
  for (const seg of splitGuestPath(target)) {
    if (seg === '..') {
      if (stack.pop() === undefined) throw 'not-permitted';
    } else {
      stack.push(seg);
    }
  }
}
