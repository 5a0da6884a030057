/**
 * Large configuration contents on their way from the operator to a host (ADR 0016): a
 * source's data too large to go inline is sealed with AES-256-GCM under a fresh key, put into
 * the namespace's Object Store `skiff-sources-<namespace>` under the sha256 of the sealed
 * bytes, and the start request carries bucket, digest and key. The store holds ciphertext
 * only and forgets it after SOURCE_TTL_MS; the key never leaves the request.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { STORED_SOURCE_MAX_BYTES, type StoredSource } from '../api/index.js';
import { readObject } from './objects.js';

/** SOURCE_TTL_MS is how long sealed contents stay in the store: long enough for any start to fetch them. */
export const SOURCE_TTL_MS = 60 * 60_000;

/** SOURCE_BUCKET_PREFIX starts every sources bucket; `skiff-` cannot collide with guest containers (`skiff_…`). */
export const SOURCE_BUCKET_PREFIX = 'skiff-sources-';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** SourceStoreError means sealed contents could not be stored or fetched; `code` is stable. */
export class SourceStoreError extends Error {
  override readonly name = 'SourceStoreError';
  readonly code = 'SKIFF_SOURCE_UNAVAILABLE';
}

/** sourceBucket is the Object Store holding one namespace's sealed contents. */
export function sourceBucket(namespace: string): string {
  if (!/^[a-z0-9-]{1,63}$/.test(namespace)) throw new RangeError(`invalid namespace ${JSON.stringify(namespace)}`);
  return `${SOURCE_BUCKET_PREFIX}${namespace}`;
}

/** Sealed is sealed contents: the bytes to store, their sha256 (hex) and the key that opens them. */
export interface Sealed {
  readonly bytes: Uint8Array;
  readonly digest: string;
  readonly key: string;
}

/** seal encrypts `plain` under a fresh random key (IV first, tag last). */
export function seal(plain: Uint8Array): Sealed {
  const key = randomBytes(32);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const bytes = new Uint8Array(Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]));
  return { bytes, digest: createHash('sha256').update(bytes).digest('hex'), key: key.toString('base64') };
}

/** unseal checks the digest and decrypts; any mismatch throws a SourceStoreError. */
export function unseal(bytes: Uint8Array, stored: Pick<StoredSource, 'digest' | 'key'>): Uint8Array {
  if (createHash('sha256').update(bytes).digest('hex') !== stored.digest) {
    throw new SourceStoreError(`sealed contents ${stored.digest.slice(0, 12)}…: digest mismatch`);
  }
  try {
    const iv = bytes.subarray(0, IV_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(stored.key, 'base64'), iv);
    decipher.setAuthTag(tag);
    return new Uint8Array(
      Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]),
    );
  } catch (err) {
    throw new SourceStoreError(`sealed contents ${stored.digest.slice(0, 12)}…: cannot be opened`, { cause: err });
  }
}

function bounded<T>(what: string, ms: number, run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SourceStoreError(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([run(), late]).finally(() => clearTimeout(timer));
}

/** putSealed stores sealed contents in the namespace's bucket (created on first use) and returns the pointer. */
export async function putSealed(
  nc: NatsConnection,
  namespace: string,
  sealed: Sealed,
  timeoutMs = 10_000,
): Promise<StoredSource> {
  const bucket = sourceBucket(namespace);
  if (sealed.bytes.length > STORED_SOURCE_MAX_BYTES) {
    throw new SourceStoreError(`sealed contents of ${sealed.bytes.length} bytes exceed ${STORED_SOURCE_MAX_BYTES}`);
  }
  return bounded(`store sealed contents in ${bucket}`, timeoutMs, async () => {
    const objm = new Objm(jetstream(nc, { timeout: timeoutMs }));
    const os = await objm
      .open(bucket)
      // TTL in nanoseconds; create is idempotent when another operator just made it the same way.
      .catch(() => objm.create(bucket, { ttl: SOURCE_TTL_MS * 1_000_000, description: 'Skiff sealed sources' }));
    await os.putBlob({ name: sealed.digest }, sealed.bytes);
    return { bucket, digest: sealed.digest, size: sealed.bytes.length, key: sealed.key };
  });
}

/** getSealed fetches and opens stored contents (bounded in size and time). */
export async function getSealed(nc: NatsConnection, stored: StoredSource, timeoutMs = 10_000): Promise<Uint8Array> {
  const bytes = await bounded(`fetch sealed contents from ${stored.bucket}`, timeoutMs, async () => {
    const objm = new Objm(jetstream(nc, { timeout: timeoutMs }));
    let os: Awaited<ReturnType<Objm['open']>>;
    try {
      os = await objm.open(stored.bucket);
    } catch (err) {
      throw new SourceStoreError(`bucket ${stored.bucket} is not available: ${(err as Error).message}`, { cause: err });
    }
    const info = await os.info(stored.digest);
    if (!info || info.deleted) throw new SourceStoreError(`sealed contents ${stored.digest.slice(0, 12)}… are gone`);
    if (info.size !== stored.size || info.size > STORED_SOURCE_MAX_BYTES) {
      throw new SourceStoreError(`sealed contents ${stored.digest.slice(0, 12)}…: unexpected size ${info.size}`);
    }
    const result = await os.get(stored.digest);
    const blob = result && (await readObject(result, { timeoutMs, maxBytes: STORED_SOURCE_MAX_BYTES }));
    if (!blob) throw new SourceStoreError(`sealed contents ${stored.digest.slice(0, 12)}… are gone`);
    return blob;
  });
  return unseal(bytes, stored);
}
