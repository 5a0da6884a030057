/**
 * The shared types of a workload's filesystem: its mounts (one per preopen) and the
 * directory a path operation starts from.
 */
import type { HandleSet } from './handle.js';

/** Mount is one preopen: a real host directory, whether it is read-only, and the workload's open files. */
export interface Mount {
  readonly root: string;
  readonly readOnly: boolean;
  readonly handles: HandleSet;
}

/** DirRef is a directory descriptor's view for path operations: its mount and real host path. */
export interface DirRef {
  readonly mount: Mount;
  readonly path: string;
}

/** PathFlags is a `path-flags` flags value. */
export interface PathFlags {
  symlinkFollow?: boolean;
}

/** OpenFlags is an `open-flags` flags value. */
export interface OpenFlags {
  create?: boolean;
  directory?: boolean;
  exclusive?: boolean;
  truncate?: boolean;
}

/** DescriptorFlags is a `descriptor-flags` flags value. */
export interface DescriptorFlags {
  read?: boolean;
  write?: boolean;
  fileIntegritySync?: boolean;
  dataIntegritySync?: boolean;
  requestedWriteSync?: boolean;
  mutateDirectory?: boolean;
}

/** assertWritable throws `read-only` when the mount refuses writes. */
export function assertWritable(mount: Mount): void {
  if (mount.readOnly) throw 'read-only';
}
