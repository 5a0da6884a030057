/**
 * Transpile bundles: the files jco made for one component, packed into one signed blob so
 * hosts can share them (docs/adr/0017). The transpiled JS runs with the host's privileges,
 * so a bundle is accepted only when its HMAC-SHA256 under the hosts' shared key is right
 * (which covers every byte), it names the cache key it was asked for, and its files fill it
 * exactly as its header says. Layout: `SKIFFTB1`, a 4-byte big-endian header length, the JSON header,
 * the files back to back, then the 32-byte MAC of everything before it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { SkiffError } from '../errors.js';

const MAGIC = new TextEncoder().encode('SKIFFTB1');
const MAC_BYTES = 32;
/** MAX_HEADER_BYTES bounds a bundle's JSON header. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** MAX_BUNDLE_BYTES bounds a whole bundle (a large JS guest transpiles to ~15 MB). */
export const MAX_BUNDLE_BYTES = 256 * 2 ** 20;

const FILE_NAME = /^[A-Za-z0-9._-]{1,128}$/;

const headerSchema = z
  .object({
    key: z.string().min(1).max(256),
    files: z
      .array(
        z
          .object({
            name: z
              .string()
              .regex(FILE_NAME)
              .refine((n) => n !== '.' && n !== '..'),
            size: z.number().int().min(0).max(MAX_BUNDLE_BYTES),
            sha256: z.string().regex(/^[0-9a-f]{64}$/),
          })
          .strict(),
      )
      .min(1)
      .max(256),
  })
  .strict();

/** BundleError means a shared bundle was refused (bad MAC, wrong key, damaged); the host transpiles itself instead. */
export class BundleError extends SkiffError {
  constructor(message: string) {
    super('SKIFF_BAD_BUNDLE', message);
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** packBundle packs the files for cache key `key` and signs them with `secret`. */
export function packBundle(key: string, files: Record<string, Uint8Array>, secret: Uint8Array): Uint8Array {
  const names = Object.keys(files).sort();
  const header = new TextEncoder().encode(
    JSON.stringify({
      key,
      files: names.map((name) => ({ name, size: files[name]!.byteLength, sha256: sha256(files[name]!) })),
    }),
  );
  const body = names.reduce((n, name) => n + files[name]!.byteLength, 0);
  const out = new Uint8Array(MAGIC.length + 4 + header.length + body + MAC_BYTES);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length);
  out.set(header, MAGIC.length + 4);
  let at = MAGIC.length + 4 + header.length;
  for (const name of names) {
    out.set(files[name]!, at);
    at += files[name]!.byteLength;
  }
  out.set(createHmac('sha256', secret).update(out.subarray(0, at)).digest(), at);
  return out;
}

/** openBundle checks a bundle for cache key `key` under `secret` and returns its files, or throws BundleError. */
export function openBundle(key: string, bundle: Uint8Array, secret: Uint8Array): Record<string, Uint8Array> {
  if (bundle.byteLength > MAX_BUNDLE_BYTES) throw new BundleError('bundle is too large');
  const end = bundle.byteLength - MAC_BYTES;
  if (end < MAGIC.length + 4 || MAGIC.some((b, i) => bundle[i] !== b)) throw new BundleError('not a transpile bundle');
  const expected = createHmac('sha256', secret).update(bundle.subarray(0, end)).digest();
  if (!timingSafeEqual(expected, bundle.subarray(end))) throw new BundleError('bundle signature does not verify');
  // Signed by a holder of the key from here on; still checked, since a signer may be buggy.
  const headerLength = new DataView(bundle.buffer, bundle.byteOffset).getUint32(MAGIC.length);
  const start = MAGIC.length + 4;
  if (headerLength > MAX_HEADER_BYTES || start + headerLength > end) throw new BundleError('bundle header is malformed');
  let header: z.infer<typeof headerSchema>;
  try {
    header = headerSchema.parse(JSON.parse(new TextDecoder().decode(bundle.subarray(start, start + headerLength))));
  } catch (err) {
    throw new BundleError(`bundle header is malformed: ${(err as Error).message}`);
  }
  if (header.key !== key) throw new BundleError(`bundle is for ${header.key}, not ${key}`);
  const files: Record<string, Uint8Array> = {};
  let at = start + headerLength;
  for (const f of header.files) {
    if (Object.hasOwn(files, f.name)) throw new BundleError(`bundle names ${f.name} twice`);
    if (at + f.size > end) throw new BundleError('bundle is truncated');
    // The MAC already covers every byte; the header's sha256 is there for people inspecting a bundle.
    files[f.name] = bundle.slice(at, at + f.size);
    at += f.size;
  }
  if (at !== end) throw new BundleError('bundle has trailing bytes');
  return files;
}
