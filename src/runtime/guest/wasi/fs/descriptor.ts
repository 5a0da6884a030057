/**
 * The `wasi:filesystem/types` descriptor resource: a directory (known by its real host
 * path) or an open file (a {@link FileHandle}) inside one mount. Path operations live in
 * at.ts and open.ts; this class checks descriptor kind, flags and read-only mounts.
 */
import {
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  futimesSync,
  readSync,
  statSync,
  utimesSync,
} from 'node:fs';
import * as at from './at.js';
import { readDirectoryStream, type DirectoryEntryStream } from './directory.js';
import { wasiCall } from './errors.js';
import type { FileHandle } from './handle.js';
import {
  assertWritable,
  type DescriptorFlags,
  type DirRef,
  type Mount,
  type OpenFlags,
  type PathFlags,
} from './mount.js';
import { openAt } from './open.js';
import {
  type DescriptorStat,
  type DescriptorType,
  type NewTimestamp,
  metadataHash,
  toDescriptorStat,
  toTimes,
} from './stat.js';
import { fileInputStream, fileOutputStream, writeAll } from './streams.js';

const MAX_READ = 1 << 24;

/** Descriptor is the `wasi:filesystem/types` descriptor resource class. */
export class Descriptor {
  readonly #mount: Mount;
  readonly #path: string;
  readonly #handle: FileHandle | undefined;
  readonly #flags: DescriptorFlags;

  constructor(mount: Mount, path: string, flags: DescriptorFlags, handle?: FileHandle) {
    this.#mount = mount;
    this.#path = path;
    this.#flags = { ...flags };
    this.#handle = handle;
  }

  #dir(): DirRef {
    if (this.#handle !== undefined) throw 'not-directory';
    return { mount: this.#mount, path: this.#path };
  }

  #file(need?: 'read' | 'write'): FileHandle {
    if (this.#handle === undefined) throw 'is-directory';
    if (need !== undefined && !this.#flags[need]) throw 'bad-descriptor';
    if (need === 'write') assertWritable(this.#mount);
    return this.#handle;
  }

  #stat() {
    return wasiCall(() =>
      this.#handle ? fstatSync(this.#handle.fd, { bigint: true }) : statSync(this.#path, { bigint: true }),
    );
  }

  /** readViaStream implements `read-via-stream`. */
  readViaStream(offset: bigint): unknown {
    return fileInputStream(this.#file('read'), offset);
  }

  /** writeViaStream implements `write-via-stream`. */
  writeViaStream(offset: bigint): unknown {
    return fileOutputStream(this.#file('write'), offset);
  }

  /** appendViaStream implements `append-via-stream`. */
  appendViaStream(): unknown {
    return fileOutputStream(this.#file('write'), 'append');
  }

  /** advise implements `advise`, which is only a hint: checked, then ignored. */
  advise(_offset: bigint, _length: bigint, _advice: string): void {
    this.#file();
  }

  /** syncData implements `sync-data`. */
  syncData(): void {
    if (this.#handle) wasiCall(() => fdatasyncSync(this.#handle!.fd));
  }

  /** sync implements `sync`. */
  sync(): void {
    if (this.#handle) wasiCall(() => fsyncSync(this.#handle!.fd));
  }

  /** getFlags implements `get-flags`. */
  getFlags(): DescriptorFlags {
    return { ...this.#flags };
  }

  /** getType implements `get-type`. */
  getType(): DescriptorType {
    return this.#handle ? toDescriptorStat(this.#stat()).type : 'directory';
  }

  /** setSize implements `set-size`. */
  setSize(size: bigint): void {
    const h = this.#file('write');
    wasiCall(() => ftruncateSync(h.fd, Number(size)));
  }

  /** setTimes implements `set-times`. */
  setTimes(atime: NewTimestamp, mtime: NewTimestamp): void {
    assertWritable(this.#mount);
    const [a, m] = toTimes(this.#stat(), atime, mtime);
    wasiCall(() => (this.#handle ? futimesSync(this.#handle.fd, a, m) : utimesSync(this.#path, a, m)));
  }

  /** read implements `read`: up to `length` bytes at `offset`, and whether the end was reached. */
  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    const h = this.#file('read');
    const want = Math.min(Number(length), MAX_READ);
    const buf = new Uint8Array(want);
    const got = want === 0 ? 0 : wasiCall(() => readSync(h.fd, buf, 0, want, Number(offset)));
    return [buf.subarray(0, got), got < want || (want === 0 && offset >= this.#stat().size)];
  }

  /** write implements `write`: all of `buffer` at `offset`. */
  write(buffer: Uint8Array, offset: bigint): bigint {
    const h = this.#file('write');
    return BigInt(wasiCall(() => writeAll(h.fd, buffer, Number(offset))));
  }

  /** readDirectory implements `read-directory`. */
  readDirectory(): DirectoryEntryStream {
    return readDirectoryStream(this.#dir().path);
  }

  /** createDirectoryAt implements `create-directory-at`. */
  createDirectoryAt(path: string): void {
    at.createDirectoryAt(this.#dir(), path);
  }

  /** stat implements `stat`. */
  stat(): DescriptorStat {
    return toDescriptorStat(this.#stat());
  }

  /** statAt implements `stat-at`. */
  statAt(flags: PathFlags, path: string): DescriptorStat {
    return at.statAt(this.#dir(), flags, path);
  }

  /** setTimesAt implements `set-times-at`. */
  setTimesAt(flags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): void {
    at.setTimesAt(this.#dir(), flags, path, atime, mtime);
  }

  /** linkAt implements `link-at`. */
  linkAt(oldFlags: PathFlags, oldPath: string, newDir: Descriptor, newPath: string): void {
    at.linkAt(this.#dir(), oldFlags, oldPath, newDir.#dir(), newPath);
  }

  /** openAt implements `open-at`. */
  openAt(pathFlags: PathFlags, path: string, open: OpenFlags, flags: DescriptorFlags): Descriptor {
    const opened = openAt(this.#dir(), pathFlags, path, open, flags);
    // A read-only mount never grants mutate-directory; asking for it (as wasi-libc does for
    // every directory) is not an error, so `opendir` keeps working.
    const granted = this.#mount.readOnly ? { ...flags, mutateDirectory: false } : flags;
    return new Descriptor(this.#mount, opened.path, granted, opened.kind === 'file' ? opened.handle : undefined);
  }

  /** readlinkAt implements `readlink-at`. */
  readlinkAt(path: string): string {
    return at.readlinkAt(this.#dir(), path);
  }

  /** removeDirectoryAt implements `remove-directory-at`. */
  removeDirectoryAt(path: string): void {
    at.removeDirectoryAt(this.#dir(), path);
  }

  /** renameAt implements `rename-at`. */
  renameAt(oldPath: string, newDir: Descriptor, newPath: string): void {
    at.renameAt(this.#dir(), oldPath, newDir.#dir(), newPath);
  }

  /** symlinkAt implements `symlink-at`. */
  symlinkAt(target: string, path: string): void {
    at.symlinkAt(this.#dir(), target, path);
  }

  /** unlinkFileAt implements `unlink-file-at`. */
  unlinkFileAt(path: string): void {
    at.unlinkFileAt(this.#dir(), path);
  }

  /** isSameObject implements `is-same-object`. */
  isSameObject(other: Descriptor): boolean {
    if (other === this) return true;
    try {
      const a = this.#stat();
      const b = other.#stat();
      return a.dev === b.dev && a.ino === b.ino;
    } catch {
      return false;
    }
  }

  /** metadataHash implements `metadata-hash`. */
  metadataHash(): { upper: bigint; lower: bigint } {
    return metadataHash(this.#stat());
  }

  /** metadataHashAt implements `metadata-hash-at`. */
  metadataHashAt(flags: PathFlags, path: string): { upper: bigint; lower: bigint } {
    return at.metadataHashAt(this.#dir(), flags, path);
  }

  /** [Symbol.dispose] releases the descriptor's host file when the guest drops it. */
  [Symbol.dispose](): void {
    this.#handle?.release();
  }
}
