/**
 * `open-at`: resolve the path inside the directory, apply open-flags and
 * descriptor-flags, and open a host file or directory. Only regular files and directories
 * can be opened; the host never blocks on a FIFO or device a volume might contain.
 */
import { constants, fstatSync, lstatSync, openSync } from 'node:fs';
import { wasiCall } from './errors.js';
import { FileHandle } from './handle.js';
import type { DescriptorFlags, DirRef, OpenFlags, PathFlags } from './mount.js';
import { resolveAt } from './paths.js';

/** Opened is what `open-at` found: a directory (by path) or a file (by handle). */
export type Opened = { kind: 'directory'; path: string } | { kind: 'file'; path: string; handle: FileHandle };

function wantsWrite(open: OpenFlags, flags: DescriptorFlags): boolean {
  return flags.write === true || open.create === true || open.truncate === true;
}

/** openAt implements `open-at` on directory `dir`. */
export function openAt(
  dir: DirRef,
  pathFlags: PathFlags,
  path: string,
  open: OpenFlags,
  flags: DescriptorFlags,
): Opened {
  if (dir.mount.readOnly && wantsWrite(open, flags)) throw 'read-only';
  if (open.directory && (open.create || open.truncate)) throw 'invalid';
  if (open.directory && flags.write) throw 'is-directory';
  const { host, trailingSlash } = resolveAt(dir.path, path, pathFlags.symlinkFollow === true);
  const st = wasiCall(() => lstatSync(host, { throwIfNoEntry: false }));
  if (st?.isSymbolicLink()) throw open.directory || trailingSlash ? 'not-directory' : 'loop';
  if (st !== undefined && open.create && open.exclusive) throw 'exist';
  if (st?.isDirectory()) {
    if (flags.write || open.truncate) throw 'is-directory';
    return { kind: 'directory', path: host };
  }
  if (open.directory || trailingSlash) throw st === undefined ? 'no-entry' : 'not-directory';
  if (st === undefined && !open.create) throw 'no-entry';
  if (st !== undefined && !st.isFile()) throw 'unsupported';
  let mode: number = constants.O_RDONLY;
  if (flags.write) mode = flags.read ? constants.O_RDWR : constants.O_WRONLY;
  mode |= constants.O_NOFOLLOW | constants.O_NONBLOCK;
  if (open.create) mode |= constants.O_CREAT;
  if (open.exclusive) mode |= constants.O_EXCL;
  if (open.truncate) {
    if (!flags.write) throw 'invalid';
    mode |= constants.O_TRUNC;
  }
  const fd = wasiCall(() => openSync(host, mode, 0o666));
  const handle = new FileHandle(fd, dir.mount.handles);
  try {
    // The path was checked before it was opened; make sure it is still a regular file.
    if (!wasiCall(() => fstatSync(fd)).isFile()) throw 'unsupported';
  } catch (err) {
    handle.release();
    throw err;
  }
  return { kind: 'file', path: host, handle };
}
