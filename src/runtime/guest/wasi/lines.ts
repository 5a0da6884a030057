/**
 * Line buffering for guest stdout/stderr: bytes in, whole lines out to a callback.
 */

/** MAX_LINE_BYTES is the length after which a line without a newline is emitted anyway. */
export const MAX_LINE_BYTES = 64 * 1024;

/** LineSink turns a byte stream into lines, decoding UTF-8 across chunk boundaries. */
export class LineSink {
  readonly #emit: (line: string) => void;
  readonly #decoder = new TextDecoder('utf-8', { fatal: false });
  #pending = '';

  constructor(emit: (line: string) => void) {
    this.#emit = emit;
  }

  /** write appends bytes and emits every line they complete. */
  write(bytes: Uint8Array): void {
    this.#pending += this.#decoder.decode(bytes, { stream: true });
    let nl = this.#pending.indexOf('\n');
    while (nl !== -1) {
      this.#line(this.#pending.slice(0, nl));
      this.#pending = this.#pending.slice(nl + 1);
      nl = this.#pending.indexOf('\n');
    }
    if (this.#pending.length >= MAX_LINE_BYTES) {
      this.#line(this.#pending);
      this.#pending = '';
    }
  }

  /** flush emits a trailing partial line, if any. */
  flush(): void {
    this.#pending += this.#decoder.decode();
    if (this.#pending.length > 0) this.#line(this.#pending);
    this.#pending = '';
  }

  #line(text: string): void {
    this.#emit(text.endsWith('\r') ? text.slice(0, -1) : text);
  }
}
