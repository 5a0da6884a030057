/**
 * `directory-entry-stream`: the entries of a directory, read when the stream is created.
 */
import { readdirSync } from 'node:fs';
import { wasiCall } from './errors.js';
import { type DescriptorType, typeOf } from './stat.js';

/** DirectoryEntry is a `directory-entry` record. */
export interface DirectoryEntry {
  type: DescriptorType;
  name: string;
}

/** DirectoryEntryStream is the `wasi:filesystem/types` directory-entry-stream resource. */
export class DirectoryEntryStream {
  readonly #entries: DirectoryEntry[];
  #next = 0;

  constructor(entries: DirectoryEntry[]) {
    this.#entries = entries;
  }

  /** readDirectoryEntry returns the next entry, or undefined when none is left. */
  readDirectoryEntry(): DirectoryEntry | undefined {
    return this.#entries[this.#next++];
  }
}

/** readDirectoryStream lists `hostPath` (without `.` and `..`) into a new entry stream. */
export function readDirectoryStream(hostPath: string): DirectoryEntryStream {
  const dirents = wasiCall(() => readdirSync(hostPath, { withFileTypes: true }));
  return new DirectoryEntryStream(dirents.map((d) => ({ type: typeOf(d), name: d.name })));
}
