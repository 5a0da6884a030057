/**
 * The path-based (`*-at`) operations of a directory descriptor, except `open-at`. Each
 * resolves its path inside the directory first (see paths.ts) and refuses writes on a
 * read-only mount.
 */
import {
  type BigIntStats,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
} from 'node:fs';
import { wasiCall } from './errors.js';
import { assertWritable, type DirRef, type PathFlags } from './mount.js';
import { checkSymlinkTarget, resolveAt } from './paths.js';
import { type DescriptorStat, type NewTimestamp, metadataHash, toDescriptorStat, toTimes } from './stat.js';

function statPath(dir: DirRef, flags: PathFlags, path: string): BigIntStats {
  const { host } = resolveAt(dir.path, path, flags.symlinkFollow === true);
  return wasiCall(() => (flags.symlinkFollow ? statSync : lstatSync)(host, { bigint: true }));
}

/** statAt implements `stat-at`. */
export function statAt(dir: DirRef, flags: PathFlags, path: string): DescriptorStat {
  return toDescriptorStat(statPath(dir, flags, path));
}

/** metadataHashAt implements `metadata-hash-at`. */
export function metadataHashAt(dir: DirRef, flags: PathFlags, path: string): { upper: bigint; lower: bigint } {
  return metadataHash(statPath(dir, flags, path));
}

/** setTimesAt implements `set-times-at`. */
export function setTimesAt(dir: DirRef, flags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp) {
  assertWritable(dir.mount);
  const follow = flags.symlinkFollow === true;
  const { host } = resolveAt(dir.path, path, follow);
  wasiCall(() => {
    const current = (follow ? statSync : lstatSync)(host, { bigint: true });
    const [a, m] = toTimes(current, atime, mtime);
    (follow ? utimesSync : lutimesSync)(host, a, m);
  });
}

/** createDirectoryAt implements `create-directory-at`. */
export function createDirectoryAt(dir: DirRef, path: string): void {
  assertWritable(dir.mount);
  const { host } = resolveAt(dir.path, path, false);
  wasiCall(() => mkdirSync(host));
}

/** readlinkAt implements `readlink-at`. */
export function readlinkAt(dir: DirRef, path: string): string {
  const { host } = resolveAt(dir.path, path, false);
  return wasiCall(() => readlinkSync(host));
}

/** removeDirectoryAt implements `remove-directory-at`. */
export function removeDirectoryAt(dir: DirRef, path: string): void {
  assertWritable(dir.mount);
  const { host, segments } = resolveAt(dir.path, path, false);
  if (segments.length === 0) throw 'busy';
  wasiCall(() => rmdirSync(host));
}

/** unlinkFileAt implements `unlink-file-at`. */
export function unlinkFileAt(dir: DirRef, path: string): void {
  assertWritable(dir.mount);
  const { host, segments, trailingSlash } = resolveAt(dir.path, path, false);
  if (segments.length === 0) throw 'is-directory';
  wasiCall(() => {
    const st = lstatSync(host);
    if (st.isDirectory()) throw 'is-directory';
    if (trailingSlash) throw 'not-directory';
    unlinkSync(host);
  });
}

/** renameAt implements `rename-at`; both paths must lie in the same mount. */
export function renameAt(from: DirRef, oldPath: string, to: DirRef, newPath: string): void {
  if (from.mount !== to.mount) throw 'cross-device';
  assertWritable(from.mount);
  const src = resolveAt(from.path, oldPath, false);
  const dst = resolveAt(to.path, newPath, false);
  if (src.segments.length === 0 || dst.segments.length === 0) throw 'busy';
  wasiCall(() => renameSync(src.host, dst.host));
}

/** linkAt implements `link-at` (a hard link); both paths must lie in the same mount. */
export function linkAt(from: DirRef, oldFlags: PathFlags, oldPath: string, to: DirRef, newPath: string): void {
  if (from.mount !== to.mount) throw 'cross-device';
  assertWritable(from.mount);
  const src = resolveAt(from.path, oldPath, oldFlags.symlinkFollow === true);
  const dst = resolveAt(to.path, newPath, false);
  if (dst.trailingSlash) throw 'no-entry';
  wasiCall(() => {
    if (lstatSync(src.host).isDirectory()) throw 'not-permitted';
    linkSync(src.host, dst.host);
  });
}

/** symlinkAt implements `symlink-at`; the target may not be absolute or climb out of the directory. */
export function symlinkAt(dir: DirRef, target: string, path: string): void {
  assertWritable(dir.mount);
  const { host, segments } = resolveAt(dir.path, path, false);
  if (segments.length === 0) throw 'exist';
  checkSymlinkTarget(segments.slice(0, -1), target);
  wasiCall(() => symlinkSync(target, host));
}
