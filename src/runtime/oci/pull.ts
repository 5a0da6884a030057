/**
 * Pulling a component: resolve the reference (tag → digest, honouring imagePullPolicy),
 * fetch the manifest (descending one index level), pick the wasm layer, and fetch it into
 * the cache, verifying every blob's sha256 against the digest that named it.
 */
import type { Credentials } from './auth.js';
import { accessFingerprint, PullCache, sha256 } from './cache.js';
import { RegistryClient } from './client.js';
import { OciNotPresentError, OciRegistryError } from './errors.js';
import { MANIFEST_ACCEPT, parseManifest } from './layout.js';
import { formatReference, type Reference } from './reference.js';

/** PullPolicy is Kubernetes' imagePullPolicy. */
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** PullOptions configures one pull. */
export interface PullOptions {
  readonly cacheDir: string;
  readonly label: string;
  readonly policy?: PullPolicy | undefined;
  readonly credentials?: Credentials | undefined;
  readonly insecure?: readonly string[] | undefined;
  /** maxBytes caps the wasm layer size (default 512 MiB). */
  readonly maxBytes?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** PullResult is a pulled component and where it came from. */
export interface PullResult {
  readonly bytes: Uint8Array;
  /** manifestDigest is the digest of the manifest the tag resolved to. */
  readonly manifestDigest: string;
  /** layerDigest is the digest of the wasm layer (equal to the component's sha256). */
  readonly layerDigest: string;
  /** fromCache says whether no blob had to be downloaded. */
  readonly fromCache: boolean;
}

/** defaultPullPolicy is Kubernetes' default: Always for `latest`, IfNotPresent for digests and other tags. */
export function defaultPullPolicy(ref: Reference): PullPolicy {
  return ref.digest === undefined && ref.tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** pull fetches a component artifact into the cache and returns its bytes. */
export async function pull(ref: Reference, options: PullOptions): Promise<PullResult> {
  const cache = new PullCache(options.cacheDir);
  const policy = options.policy ?? defaultPullPolicy(ref);
  const { label, signal } = options;
  const tagKey = ref.digest ? undefined : formatReference(ref);
  let client: RegistryClient | undefined;
  const registry = () => {
    client ??= new RegistryClient({ reference: ref, label, credentials: options.credentials, insecure: options.insecure });
    return client;
  };
  let downloaded = false;

  // 1. The manifest digest: pinned, remembered (IfNotPresent, Never), or asked of the registry (Always).
  let digest = ref.digest;
  if (digest === undefined && tagKey) {
    digest = policy === 'Always' ? await registry().headManifest(ref.tag!, MANIFEST_ACCEPT, signal) : await cache.readTag(tagKey);
  } else if (policy === 'Always' && digest) {
    await registry().headManifest(digest, MANIFEST_ACCEPT, signal);
  }
  if (digest === undefined && policy === 'Never') {
    throw new OciNotPresentError(`image ${label}: not in the cache and imagePullPolicy is Never`);
  }
  let manifest = digest ? await cache.readBlob(digest) : undefined;
  let contentType = '';
  if (!manifest) {
    if (policy === 'Never') throw new OciNotPresentError(`image ${label}: manifest ${digest} not in the cache and imagePullPolicy is Never`);
    const got = await registry().getManifest(digest ?? ref.tag!, MANIFEST_ACCEPT, signal);
    downloaded = true;
    contentType = got.mediaType;
    if (!digest) {
      digest = got.digestHeader ?? sha256(got.bytes);
    }
    await cache.writeBlob(digest, got.bytes, label);
    manifest = got.bytes;
  }
  if (tagKey) await cache.writeTag(tagKey, digest!);
  const manifestDigest = digest!;
  // A manifest the registry let someone else read (another workload's imagePullSecret, the
  // host's own credentials) is not served from the cache to this pull until the registry
  // lets this pull's credentials (or none) read it too.
  const who = accessFingerprint(ref.registry, options.credentials);
  if (client || downloaded) await cache.recordAccess(manifestDigest, who);
  else {
    const known = await cache.accessOf(manifestDigest);
    if (known && !known.has(who) && !known.has('anonymous')) {
      if (policy === 'Never') {
        throw new OciNotPresentError(
          `image ${label}: cached for other credentials, and imagePullPolicy Never cannot check these`,
        );
      }
      await registry().headManifest(manifestDigest, MANIFEST_ACCEPT, signal);
      await cache.recordAccess(manifestDigest, who);
    }
  }

  // 2. An index points at the wasm manifest; descend once.
  let parsed = parseManifest(manifest, contentType, label);
  if (parsed.kind === 'index') {
    const child = parsed.child;
    let bytes = await cache.readBlob(child.digest);
    let childType = child.mediaType;
    if (!bytes) {
      if (policy === 'Never') throw new OciNotPresentError(`image ${label}: manifest ${child.digest} not in the cache and imagePullPolicy is Never`);
      const got = await registry().getManifest(child.digest, MANIFEST_ACCEPT, signal);
      downloaded = true;
      childType = got.mediaType || childType;
      await cache.writeBlob(child.digest, got.bytes, label);
      bytes = got.bytes;
    }
    parsed = parseManifest(bytes, childType, label);
    if (parsed.kind === 'index') throw new OciRegistryError(`image ${label}: nested indexes are not supported`);
  }

  // 3. The wasm layer, verified against the manifest while it streams to disk.
  const { layer } = parsed;
  let bytes = await cache.readBlob(layer.digest);
  if (!bytes) {
    if (policy === 'Never') throw new OciNotPresentError(`image ${label}: layer ${layer.digest} not in the cache and imagePullPolicy is Never`);
    const res = await registry().getBlob(layer.digest, signal);
    downloaded = true;
    if (!res.body) throw new OciRegistryError(`image ${label}: registry sent no body for layer ${layer.digest}`);
    bytes = await cache.storeStream(layer.digest, layer.size, res.body, label, options.maxBytes ?? 512 * 1024 * 1024);
  }
  return { bytes, manifestDigest, layerDigest: layer.digest, fromCache: !downloaded };
}
