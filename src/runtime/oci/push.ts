/**
 * Publishing a component: upload the wasm layer and the wasm config blob (skipping blobs
 * the registry already has), then put the manifest under the tag (or by digest).
 */
import { checkComponentBytes } from '../engine/bytes.js';
import type { Credentials } from './auth.js';
import { sha256 } from './cache.js';
import { RegistryClient } from './client.js';
import { OciRegistryError } from './errors.js';
import { buildArtifact, MEDIA } from './layout.js';
import type { Reference } from './reference.js';

/** PushOptions configures one push. */
export interface PushOptions {
  readonly label: string;
  readonly credentials?: Credentials | undefined;
  readonly insecure?: readonly string[] | undefined;
  /** annotations go on the manifest (org.opencontainers.image.source, .created, …). */
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** PushResult names what was published. */
export interface PushResult {
  /** manifestDigest is what `image@digest` references pin. */
  readonly manifestDigest: string;
  /** layerDigest is the sha256 of the component bytes (a Workload's `digest` field). */
  readonly layerDigest: string;
  readonly size: number;
}

/** pushComponent publishes component bytes at a reference in the wasm OCI layout. */
export async function pushComponent(ref: Reference, bytes: Uint8Array, options: PushOptions): Promise<PushResult> {
  checkComponentBytes(bytes, `component for ${options.label}`);
  const client = new RegistryClient({
    reference: ref,
    label: options.label,
    credentials: options.credentials,
    insecure: options.insecure,
    push: true,
  });
  const layerDigest = sha256(bytes);
  const { config, manifest } = buildArtifact({ digest: layerDigest, size: bytes.length }, { ...options.annotations });
  const configDigest = sha256(config);
  for (const [digest, blob] of [
    [layerDigest, bytes],
    [configDigest, config],
  ] as const) {
    if (!(await client.hasBlob(digest, options.signal))) await client.uploadBlob(digest, blob, options.signal);
  }
  const body = manifest(configDigest);
  const manifestDigest = sha256(body);
  const reported = await client.putManifest(ref.digest ?? ref.tag ?? 'latest', MEDIA.ociManifest, body, options.signal);
  if (reported && reported !== manifestDigest) {
    throw new OciRegistryError(`image ${options.label}: registry stored the manifest as ${reported}, expected ${manifestDigest}`);
  }
  if (ref.digest && ref.digest !== manifestDigest) {
    throw new OciRegistryError(`image ${options.label}: the pushed manifest is ${manifestDigest}, not the digest in the reference`);
  }
  return { manifestDigest, layerDigest, size: bytes.length };
}
