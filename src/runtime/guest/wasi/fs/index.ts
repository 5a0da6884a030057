/**
 * `wasi:filesystem` for one workload: only the given preopens exist, each a real host
 * directory the guest cannot leave (see paths.ts), optionally read-only.
 */
import { realpathSync, statSync } from 'node:fs';
import { Descriptor } from './descriptor.js';
import { DirectoryEntryStream } from './directory.js';
import { filesystemErrorCode } from './errors.js';
import { HandleSet } from './handle.js';

export { Descriptor } from './descriptor.js';
export { DirectoryEntryStream } from './directory.js';
export type { ErrorCode } from './errors.js';

/** Preopen is one directory the guest sees: its guest path, the host directory behind it, and whether writes are refused. */
export interface Preopen {
  guestPath: string;
  hostPath: string;
  readOnly?: boolean;
}

/** Filesystem is a workload's `wasi:filesystem` imports and the handle set to close when it ends. */
export interface Filesystem {
  imports: Record<string, Record<string, unknown>>;
  close(): void;
  /** openFiles is the number of host files the guest holds open. */
  readonly openFiles: number;
}

/** createFilesystem builds the `wasi:filesystem/*` imports over `preopens`; each host path must be an existing directory. */
export function createFilesystem(preopens: readonly Preopen[]): Filesystem {
  const handles = new HandleSet();
  const dirs = preopens.map((p) => {
    const root = realpathSync(p.hostPath);
    if (!statSync(root).isDirectory()) throw new Error(`preopen ${p.guestPath}: ${p.hostPath} is not a directory`);
    const mount = { root, readOnly: p.readOnly === true, handles };
    return { mount, guestPath: p.guestPath };
  });
  return {
    imports: {
      'wasi:filesystem/types': { Descriptor, DirectoryEntryStream, filesystemErrorCode },
      'wasi:filesystem/preopens': {
        // A fresh descriptor per call: the guest owns (and may drop) each one it receives.
        getDirectories: () =>
          dirs.map(({ mount, guestPath }) => [
            new Descriptor(mount, mount.root, { read: true, mutateDirectory: !mount.readOnly }),
            guestPath,
          ]),
      },
    },
    close: () => handles.closeAll(),
    get openFiles() {
      return handles.size;
    },
  };
}
