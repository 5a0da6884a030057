/**
 * The `file://` component source. A start request can come from anyone on NATS, and a
 * file:// image reads the host's own disk, so it is refused unless the host was given
 * directories images may come from; below them only regular files are read, bounded in
 * size and time, and a path (or symlink) leading outside is refused before anything is read.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComponentFetchError, UnsupportedSourceError } from '../errors.js';
import { type ComponentRef, type ComponentSource, MAX_COMPONENT_BYTES } from './source.js';

/** FileSourceOptions configures fileSource. */
export interface FileSourceOptions {
  /** roots are the directories file:// images may come from; none (the default) refuses every one. */
  readonly roots: readonly string[];
  /** maxBytes bounds a component file (default MAX_COMPONENT_BYTES, as for https://). */
  readonly maxBytes?: number | undefined;
  /** timeoutMs bounds reading one file (default 60 s). */
  readonly timeoutMs?: number | undefined;
}

/** filePathOf returns the local path a `file://` or bare-path image names, or undefined. */
export function filePathOf(ref: ComponentRef): string | undefined {
  const { image } = ref;
  const base = ref.baseDir ?? process.cwd();
  if (image.startsWith('file://')) {
    const rest = image.slice('file://'.length);
    // file:///abs/path is a URL; file://./rel and file://rel are paths relative to the manifest.
    if (rest.startsWith('/')) return fileURLToPath(image);
    return resolve(base, decodeURIComponent(rest));
  }
  if (image.startsWith('/') || image.startsWith('./') || image.startsWith('../')) {
    return isAbsolute(image) ? image : resolve(base, image);
  }
  return undefined;
}

/** within says whether `path` is `root` or below it (both absolute). */
function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

const READ_CHUNK = 1 << 20;

/** fileSource returns the source of file:// (and bare-path) images, confined to `options.roots`. */
export function fileSource(options: FileSourceOptions): ComponentSource {
  const roots = options.roots.map((r) => resolve(r));
  const maxBytes = options.maxBytes ?? MAX_COMPONENT_BYTES;
  const timeoutMs = options.timeoutMs ?? 60_000;
  return {
    handles: (ref) => filePathOf(ref) !== undefined,
    async fetch(ref, signal) {
      const what = `component ${ref.image}`;
      if (roots.length === 0) {
        throw new UnsupportedSourceError(
          `${what}: file:// images are not allowed on this host (it has no allowed directory for them)`,
        );
      }
      const outside = () =>
        new UnsupportedSourceError(`${what}: the path is outside the directories file:// images may come from`);
      const path = resolve(filePathOf(ref)!);
      if (!roots.some((root) => within(root, path))) throw outside();
      const deadline = AbortSignal.timeout(timeoutMs);
      const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
      let real: string;
      try {
        real = await realpath(path);
      } catch (err) {
        throw new ComponentFetchError(`cannot read ${what}: ${why(err)}`, { cause: err });
      }
      if (!(await Promise.all(roots.map((r) => realpath(r).catch(() => r)))).some((root) => within(root, real))) {
        throw outside();
      }
      return readRegularFile(real, what, maxBytes, both, () =>
        deadline.aborted ? `it was not read completely within ${timeoutMs} ms` : 'the read was cancelled',
      );
    },
  };
}

/**
 * readRegularFile reads at most `maxBytes` of a regular file. It opens without blocking and
 * without following a symlink (a FIFO's open would wait for a writer), then checks the kind
 * and size of what it opened before reading, and stops when `signal` fires.
 */
async function readRegularFile(
  path: string,
  what: string,
  maxBytes: number,
  signal: AbortSignal,
  stopped: () => string,
): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    throw new ComponentFetchError(`cannot read ${what}: ${why(err)}`, { cause: err });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ComponentFetchError(`cannot read ${what}: it is not a regular file`);
    if (stat.size > maxBytes) throw new ComponentFetchError(`cannot read ${what}: larger than ${maxBytes} bytes`);
    const bytes = new Uint8Array(stat.size);
    let offset = 0;
    while (offset < bytes.byteLength) {
      if (signal.aborted) throw new ComponentFetchError(`cannot read ${what}: ${stopped()}`);
      const { bytesRead } = await handle.read(bytes, offset, Math.min(READ_CHUNK, bytes.byteLength - offset), offset);
      if (bytesRead === 0) break; // the file shrank while it was read
      offset += bytesRead;
    }
    return offset === bytes.byteLength ? bytes : bytes.subarray(0, offset);
  } finally {
    await handle.close();
  }
}

function why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ELOOP') return 'it is a symbolic link';
  return (err as Error).message;
}
