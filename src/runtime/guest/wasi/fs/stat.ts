/**
 * Conversions between Node's file metadata and `wasi:filesystem` records.
 */
import type { BigIntStats, Dirent } from 'node:fs';

/** DescriptorType is a `descriptor-type` enum value. */
export type DescriptorType =
  | 'unknown'
  | 'block-device'
  | 'character-device'
  | 'directory'
  | 'fifo'
  | 'symbolic-link'
  | 'regular-file'
  | 'socket';

/** Datetime is a `wasi:clocks/wall-clock` datetime as jco represents it. */
export interface Datetime {
  seconds: bigint;
  nanoseconds: number;
}

/** DescriptorStat is a `descriptor-stat` record. */
export interface DescriptorStat {
  type: DescriptorType;
  linkCount: bigint;
  size: bigint;
  dataAccessTimestamp: Datetime | undefined;
  dataModificationTimestamp: Datetime | undefined;
  statusChangeTimestamp: Datetime | undefined;
}

/** NewTimestamp is a `new-timestamp` variant. */
export type NewTimestamp = { tag: 'no-change' } | { tag: 'now' } | { tag: 'timestamp'; val: Datetime };

/** typeOf returns the `descriptor-type` of a stat result or directory entry. */
export function typeOf(s: BigIntStats | Dirent): DescriptorType {
  if (s.isFile()) return 'regular-file';
  if (s.isDirectory()) return 'directory';
  if (s.isSymbolicLink()) return 'symbolic-link';
  if (s.isFIFO()) return 'fifo';
  if (s.isSocket()) return 'socket';
  if (s.isCharacterDevice()) return 'character-device';
  if (s.isBlockDevice()) return 'block-device';
  return 'unknown';
}

const NS = 1_000_000_000n;

function datetime(ns: bigint): Datetime {
  return { seconds: ns / NS, nanoseconds: Number(ns % NS) };
}

/** toDescriptorStat converts a bigint stat result to a `descriptor-stat`. */
export function toDescriptorStat(s: BigIntStats): DescriptorStat {
  return {
    type: typeOf(s),
    linkCount: s.nlink,
    size: s.size,
    dataAccessTimestamp: datetime(s.atimeNs),
    dataModificationTimestamp: datetime(s.mtimeNs),
    statusChangeTimestamp: datetime(s.ctimeNs),
  };
}

/** metadataHash derives a `metadata-hash-value` that is equal for the same file object. */
export function metadataHash(s: BigIntStats): { upper: bigint; lower: bigint } {
  return { upper: s.dev, lower: s.ino };
}

/**
 * toTimes turns the two `new-timestamp` values into seconds for `utimes`, keeping the
 * current time of a `no-change` side from `current`.
 */
export function toTimes(current: BigIntStats, atime: NewTimestamp, mtime: NewTimestamp): [number, number] {
  const now = Date.now() / 1000;
  const pick = (t: NewTimestamp, keep: bigint): number => {
    if (t.tag === 'no-change') return Number(keep) / 1e9;
    if (t.tag === 'now') return now;
    if (t.val.nanoseconds >= 1e9) throw 'invalid';
    return Number(t.val.seconds) + t.val.nanoseconds / 1e9;
  };
  return [pick(atime, current.atimeNs), pick(mtime, current.mtimeNs)];
}
