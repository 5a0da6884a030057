/**
 * The on-disk pull cache under `<cacheDir>/oci`: blobs (manifests and layers) stored by
 * digest, written to a temp file and renamed only once their sha256 matched, so a failed
 * pull never leaves a partial file; and tag → digest records for `IfNotPresent`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestMismatchError } from '../errors.js';
import { OciRegistryError } from './errors.js';

/** SHA256_DIGEST is the only digest form the cache accepts. */
export const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** PullCache stores verified blobs by digest and remembers what tags resolved to. */
export class PullCache {
  readonly #root: string;

  constructor(cacheDir: string) {
    this.#root = join(cacheDir, 'oci');
  }

  /** blobPath is where a verified blob lives; anything but `sha256:<64 hex>` is refused (never a path). */
  blobPath(digest: string): string {
    if (!SHA256_DIGEST.test(digest)) throw new RangeError(`not a sha256 digest: ${JSON.stringify(digest.slice(0, 100))}`);
    return join(this.#root, 'blobs', 'sha256', digest.slice('sha256:'.length));
  }

  /** readBlob returns a cached blob if present and still matching its digest. */
  async readBlob(digest: string): Promise<Uint8Array | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(this.blobPath(digest)));
    } catch {
      return undefined;
    }
    if (sha256(bytes) === digest) return bytes;
    await rm(this.blobPath(digest), { force: true });
    return undefined;
  }

  /** writeBlob stores bytes under their digest, refusing bytes that do not match it. */
  async writeBlob(digest: string, bytes: Uint8Array, label: string): Promise<void> {
    const actual = sha256(bytes);
    if (actual !== digest) {
      throw new DigestMismatchError(`image ${label}: digest mismatch: expected ${digest}, registry sent ${actual}`);
    }
    await this.#atomic(this.blobPath(digest), (tmp) => writeFile(tmp, bytes));
  }

  /**
   * storeStream streams a download into the cache, hashing as it goes; on a digest or size
   * mismatch (or any error) the temp file is removed and nothing is left under the digest.
   */
  async storeStream(
    digest: string,
    size: number,
    body: ReadableStream<Uint8Array>,
    label: string,
    maxBytes: number,
  ): Promise<Uint8Array> {
    if (size > maxBytes) {
      await body.cancel();
      throw new OciRegistryError(`image ${label}: layer ${digest} is ${size} bytes, over the ${maxBytes}-byte limit`);
    }
    const hash = createHash('sha256');
    let seen = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        if (seen > size) return done(new DigestMismatchError(`image ${label}: layer ${digest} is longer than the ${size} bytes its manifest declares`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const path = this.blobPath(digest);
    await this.#atomic(path, async (tmp) => {
      await pipeline(Readable.fromWeb(body as never), meter, createWriteStream(tmp));
      const actual = `sha256:${hash.digest('hex')}`;
      if (seen !== size || actual !== digest) {
        throw new DigestMismatchError(
          `image ${label}: digest mismatch for layer: manifest says ${digest} (${size} bytes), registry sent ${actual} (${seen} bytes)`,
        );
      }
    });
    return new Uint8Array(await readFile(path));
  }

  /**
   * accessOf lists who the registry let read a manifest: credential fingerprints
   * (`accessFingerprint`) and `anonymous`; undefined when nothing was recorded (an older cache).
   */
  async accessOf(digest: string): Promise<ReadonlySet<string> | undefined> {
    try {
      const record = JSON.parse(await readFile(this.#accessPath(digest), 'utf8')) as { who?: unknown };
      return Array.isArray(record.who) ? new Set(record.who.filter((w) => typeof w === 'string')) : undefined;
    } catch {
      return undefined;
    }
  }

  /** recordAccess notes that the registry let `who` read a manifest. */
  async recordAccess(digest: string, who: string): Promise<void> {
    const known = (await this.accessOf(digest)) ?? new Set<string>();
    if (known.has(who)) return;
    const body = JSON.stringify({ digest, who: [...known, who].slice(-64) });
    await this.#atomic(this.#accessPath(digest), (tmp) => writeFile(tmp, body));
  }

  #accessPath(digest: string): string {
    return join(this.#root, 'access', `${this.blobPath(digest).slice(-64)}.json`);
  }

  /** readTag returns the digest a tag resolved to when last pulled. */
  async readTag(key: string): Promise<string | undefined> {
    try {
      const record = JSON.parse(await readFile(this.#tagPath(key), 'utf8')) as { digest?: unknown };
      return typeof record.digest === 'string' && /^sha256:[a-f0-9]{64}$/.test(record.digest) ? record.digest : undefined;
    } catch {
      return undefined;
    }
  }

  /** writeTag records what a tag resolved to. */
  async writeTag(key: string, digest: string): Promise<void> {
    const body = JSON.stringify({ reference: key, digest, resolvedAt: new Date().toISOString() });
    await this.#atomic(this.#tagPath(key), (tmp) => writeFile(tmp, body));
  }

  #tagPath(key: string): string {
    return join(this.#root, 'tags', `${createHash('sha256').update(key).digest('hex')}.json`);
  }

  async #atomic(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
    await mkdir(join(path, '..'), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      await write(tmp);
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}

/**
 * accessFingerprint names who pulls, without keeping a secret: `anonymous`, or a sha256 of
 * the registry, username and password (a credential the cache has seen work, not the credential).
 */
export function accessFingerprint(
  registry: string,
  credentials: { username: string; password: string } | undefined,
): string {
  if (!credentials) return 'anonymous';
  const h = createHash('sha256').update(`skiff-pull\0${registry}\0${credentials.username}\0${credentials.password}`);
  return h.digest('hex').slice(0, 32);
}

/** sha256 returns `sha256:<hex>` of bytes. */
export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
