/**
 * Helpers the filesystem backends share: a reversible, case-safe mapping from any guest
 * string to one file name (no path can escape its directory, no two names collide), writes
 * that are crash-safe (temp file, fsync, rename), and a per-key queue that orders the
 * read-modify-write steps of one key.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Chunks } from './blobstore/backend.js';
import { NAMESPACE_NAME } from './common.js';

/**
 * MAX_FILE_NAME bounds an encoded file name in bytes: Linux file systems allow 255, and the
 * rest is headroom. Longer names are refused with an error the guest sees.
 */
export const MAX_FILE_NAME = 240;

/** FileNameTooLongError means a key, bucket or object name does not fit in one file name once encoded. */
export class FileNameTooLongError extends Error {
  override readonly name = 'FileNameTooLongError';
  readonly code = 'SKIFF_FILE_NAME_TOO_LONG';
}

/** StorageLimitError means a write would exceed a configured bound (value, bucket or container size, count). */
export class StorageLimitError extends Error {
  override readonly name = 'StorageLimitError';
  readonly code = 'SKIFF_STORAGE_LIMIT';
}

const PLAIN = /^[a-z0-9_-]+$/;

/**
 * encodeFileName turns any string into one file name: lower-case ASCII letters, digits, `_`
 * and `-` stay, every other UTF-8 byte (upper-case letters included, so case-insensitive
 * file systems cannot merge two names) becomes `=xx` (lower-case hex), and the empty string
 * becomes `=`. Encoded names never contain `/`, never start with `.`, and are never `.` or
 * `..`; it throws FileNameTooLongError past MAX_FILE_NAME bytes.
 */
export function encodeFileName(what: string, s: string): string {
  let out = '';
  if (s === '') out = '=';
  else if (PLAIN.test(s)) out = s;
  else {
    for (const byte of new TextEncoder().encode(s)) {
      const c = String.fromCharCode(byte);
      out += /[a-z0-9_-]/.test(c) ? c : `=${byte.toString(16).padStart(2, '0')}`;
    }
  }
  if (out.length > MAX_FILE_NAME)
    throw new FileNameTooLongError(
      `${what} is too long to store as a file (${out.length} bytes encoded, at most ${MAX_FILE_NAME})`,
    );
  return out;
}

/** decodeFileName reverses encodeFileName; it returns undefined for names encodeFileName never makes (temp files). */
export function decodeFileName(name: string): string | undefined {
  if (name === '=') return '';
  if (PLAIN.test(name)) return name;
  if (!/^([a-z0-9_-]|=[0-9a-f]{2})+$/.test(name)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    if (name[i] === '=') {
      bytes.push(Number.parseInt(name.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(name.charCodeAt(i));
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/** scopeDir returns the directory of namespace `scope` under `base`, refusing anything but a namespace name. */
export function scopeDir(base: string, scope: string): string {
  if (!NAMESPACE_NAME.test(scope)) throw new Error(`namespace "${scope}" is not a valid Kubernetes namespace name`);
  return join(base, scope);
}

/** TEMP_PREFIX starts every temporary file or directory name; encoded names never start with `.`. */
export const TEMP_PREFIX = '.tmp-';

/** tempName returns a fresh temporary name. */
export function tempName(): string {
  return `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`;
}

/** isMissing tells whether a file system error means the path does not exist. */
export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** WriteOptions bound and harden writeFileAtomic. */
export interface WriteOptions {
  /** maxBytes aborts the write (StorageLimitError) once more bytes arrive. */
  readonly maxBytes?: number;
  /** sync flushes the file to disk before the rename (default true). */
  readonly sync?: boolean;
}

/**
 * writeFileAtomic writes `chunks` to a temporary file in `dir`, flushes it and renames it
 * to `name`, so a crash leaves either the old file or the new one, never a torn one. It
 * resolves with the number of bytes written; on failure the temporary file is removed.
 */
export async function writeFileAtomic(
  dir: string,
  name: string,
  chunks: Chunks,
  options: WriteOptions = {},
): Promise<number> {
  const temp = join(dir, tempName());
  const fh = await open(temp, 'wx', 0o600);
  let size = 0;
  try {
    try {
      for await (const chunk of chunks) {
        size += chunk.length;
        if (options.maxBytes !== undefined && size > options.maxBytes)
          throw new StorageLimitError(`the value is larger than the limit of ${options.maxBytes} bytes`);
        let off = 0;
        while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
      }
      if (options.sync ?? true) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, join(dir, name));
    return size;
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** removeTemps deletes the temporary files or directories a crash left in `dir` (which must be ours alone). */
export async function removeTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(TEMP_PREFIX)) await rm(join(dir, name), { recursive: true, force: true });
  }
}

/** countDirs counts the entries of `dir` that are encoded names (0 when it does not exist yet). */
export async function countDirs(dir: string): Promise<number> {
  try {
    return (await readdir(dir)).filter((n) => decodeFileName(n) !== undefined).length;
  } catch (err) {
    if (isMissing(err)) return 0;
    throw err;
  }
}

/** ensureDir creates `dir` and its parents (mode 0700). */
export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/** sizesOf returns each encoded entry's size in bytes, for a directory of files we own. */
export async function sizesOf(dir: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const name of await readdir(dir)) {
    if (decodeFileName(name) === undefined) continue;
    sizes.set(name, (await stat(join(dir, name))).size);
  }
  return sizes;
}

/** KeyedQueue runs tasks of the same key one after another and tasks of different keys concurrently. */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** run queues `task` behind the earlier tasks of `key` and resolves with its result. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(key) ?? Promise.resolve();
    const result = before.then(task, task);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
