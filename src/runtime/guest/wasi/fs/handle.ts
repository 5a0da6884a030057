/**
 * Open host files of one workload. A file descriptor and the streams made from it share a
 * {@link FileHandle}; the host fd closes when the last of them is dropped, so a stream
 * never writes through an fd number the kernel has already handed to someone else.
 */
import { closeSync } from 'node:fs';

/** FileHandle is one open host fd, reference-counted by its descriptor and streams. */
export class FileHandle {
  readonly #fd: number;
  readonly #owner: HandleSet;
  #refs = 1;

  constructor(fd: number, owner: HandleSet) {
    this.#fd = fd;
    this.#owner = owner;
    owner.add(this);
  }

  /** fd returns the host fd, or throws `bad-descriptor` once the handle is closed. */
  get fd(): number {
    if (this.#refs <= 0) throw 'bad-descriptor';
    return this.#fd;
  }

  /** open tells whether the handle still holds its fd. */
  get open(): boolean {
    return this.#refs > 0;
  }

  /** retain adds a user (a stream) of the handle. */
  retain(): void {
    if (this.#refs <= 0) throw 'bad-descriptor';
    this.#refs++;
  }

  /** release drops a user; the last one closes the fd. */
  release(): void {
    if (this.#refs <= 0) return;
    if (--this.#refs === 0) this.#close();
  }

  /** forceClose closes the fd now, whoever still uses it. */
  forceClose(): void {
    if (this.#refs <= 0) return;
    this.#refs = 0;
    this.#close();
  }

  #close(): void {
    this.#owner.delete(this);
    try {
      closeSync(this.#fd);
    } catch {
      // Already closed by the kernel side; nothing left to release.
    }
  }
}

/** HandleSet tracks a workload's open handles so they can all be closed when it stops. */
export class HandleSet {
  readonly #handles = new Set<FileHandle>();

  /** add registers a handle. */
  add(handle: FileHandle): void {
    this.#handles.add(handle);
  }

  /** delete forgets a closed handle. */
  delete(handle: FileHandle): void {
    this.#handles.delete(handle);
  }

  /** size is the number of open handles. */
  get size(): number {
    return this.#handles.size;
  }

  /** closeAll closes every open handle. */
  closeAll(): void {
    for (const h of [...this.#handles]) h.forceClose();
  }
}
