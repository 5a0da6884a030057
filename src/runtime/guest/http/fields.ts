/**
 * `wasi:http/types#fields`: an ordered multimap of header names to byte values.
 * Lookups are case-insensitive; entries keep their order and the case they were given in.
 * Fields built by the host (incoming request headers, response headers) skip validation,
 * and fields owned by a request or response are immutable.
 */

/** FieldEntry is one `tuple<field-name, field-value>`. */
export type FieldEntry = [name: string, value: Uint8Array];

/** HeaderError is the WIT `header-error` variant. */
export type HeaderError = { tag: 'invalid-syntax' } | { tag: 'forbidden' } | { tag: 'immutable' };

const INVALID_SYNTAX: HeaderError = Object.freeze({ tag: 'invalid-syntax' });
const FORBIDDEN: HeaderError = Object.freeze({ tag: 'forbidden' });
const IMMUTABLE: HeaderError = Object.freeze({ tag: 'immutable' });

/**
 * FORBIDDEN_HEADERS are the names a guest may not set: connection-level (hop-by-hop)
 * headers the host manages, and `host`, which must match the checked authority.
 */
export const FORBIDDEN_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
]);

// RFC 9110 token: the characters of a field name.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** checkName validates a field name and returns it lower-cased; throws `invalid-syntax` or `forbidden`. */
function checkName(name: string): string {
  if (typeof name !== 'string' || !TOKEN.test(name)) throw INVALID_SYNTAX;
  const key = name.toLowerCase();
  if (FORBIDDEN_HEADERS.has(key)) throw FORBIDDEN;
  return key;
}

/** checkValue rejects a field value holding a control character other than HTAB (CR, LF, NUL, DEL...). */
function checkValue(value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) throw INVALID_SYNTAX;
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    if ((b < 0x20 && b !== 0x09) || b === 0x7f) throw INVALID_SYNTAX;
  }
}

/** Fields is the `fields` resource (also `headers` and `trailers`). */
export class Fields {
  /** entries are the fields in order, with their original name case. Host-side only. */
  _entries: FieldEntry[] = [];
  /** keys are the lower-cased names of `_entries`, index for index. */
  _keys: string[] = [];
  /** immutable is set once the fields belong to a request or response. */
  _immutable = false;

  /** fromList is `[static]fields.from-list`: validated, mutable fields. */
  static fromList(entries: readonly FieldEntry[]): Fields {
    const fields = new Fields();
    for (const [name, value] of entries) {
      const key = checkName(name);
      checkValue(value);
      fields._entries.push([name, value]);
      fields._keys.push(key);
    }
    return fields;
  }

  get(name: string): Uint8Array[] {
    const key = name.toLowerCase();
    const out: Uint8Array[] = [];
    const keys = this._keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) out.push(this._entries[i]![1]);
    return out;
  }

  has(name: string): boolean {
    return this._keys.includes(name.toLowerCase());
  }

  set(name: string, values: readonly Uint8Array[]): void {
    if (this._immutable) throw IMMUTABLE;
    const key = checkName(name);
    for (const v of values) checkValue(v);
    this.#remove(key);
    for (const v of values) {
      this._entries.push([name, v]);
      this._keys.push(key);
    }
  }

  delete(name: string): void {
    if (this._immutable) throw IMMUTABLE;
    this.#remove(checkName(name));
  }

  append(name: string, value: Uint8Array): void {
    if (this._immutable) throw IMMUTABLE;
    const key = checkName(name);
    checkValue(value);
    this._entries.push([name, value]);
    this._keys.push(key);
  }

  /** entries returns the fields in order; jco copies them into the guest. */
  entries(): FieldEntry[] {
    return this._entries;
  }

  /** clone is a mutable copy, even of immutable fields. */
  clone(): Fields {
    const copy = new Fields();
    copy._entries = this._entries.map(([n, v]) => [n, v]);
    copy._keys = this._keys.slice();
    return copy;
  }

  [Symbol.dispose](): void {}

  #remove(key: string): void {
    const keys = this._keys;
    if (!keys.includes(key)) return;
    const entries: FieldEntry[] = [];
    const kept: string[] = [];
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== key) {
        entries.push(this._entries[i]!);
        kept.push(keys[i]!);
      }
    }
    this._entries = entries;
    this._keys = kept;
  }
}

/** lock makes `fields` immutable and returns it. */
export function lock(fields: Fields): Fields {
  fields._immutable = true;
  return fields;
}

/**
 * immutableFields builds immutable fields from trusted string pairs (names as given,
 * values as latin1 bytes, the way Node decodes header bytes), skipping validation.
 */
export function immutableFields(pairs: readonly (readonly [string, string])[]): Fields {
  const fields = new Fields();
  const entries = fields._entries;
  const keys = fields._keys;
  for (const [name, value] of pairs) {
    entries.push([name, Buffer.from(value, 'latin1')]);
    keys.push(name.toLowerCase());
  }
  fields._immutable = true;
  return fields;
}

/** trustedFields builds immutable fields from entries known to be valid (from fetch), skipping validation. */
export function trustedFields(entries: FieldEntry[]): Fields {
  const fields = new Fields();
  fields._entries = entries;
  fields._keys = entries.map(([name]) => name.toLowerCase());
  fields._immutable = true;
  return fields;
}

/** latin1 decodes a field value the way Node encodes header strings onto the wire. */
export function latin1(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
}

/** pairsOf returns the fields as `[name, value]` strings; `lower` lower-cases the names. */
export function pairsOf(fields: Fields, lower: boolean): [string, string][] {
  const out: [string, string][] = [];
  const entries = fields._entries;
  for (let i = 0; i < entries.length; i++) {
    const [name, value] = entries[i]!;
    out.push([lower ? fields._keys[i]! : name, latin1(value)]);
  }
  return out;
}

/** contentLength returns the value of a valid `content-length` field, or undefined. */
export function contentLength(fields: Fields): bigint | undefined {
  const i = fields._keys.indexOf('content-length');
  if (i < 0) return undefined;
  const text = latin1(fields._entries[i]![1]).trim();
  return /^\d+$/.test(text) ? BigInt(text) : undefined;
}
