/**
 * The wasm artifact layout (CNCF TAG Runtime "wasm OCI artifact"): an OCI image manifest
 * whose config is `application/vnd.wasm.config.v0+json` and whose single layer is
 * `application/wasm`. Older single-layer variants (wasm-to-oci, Istio/solo.io modules)
 * are read too; anything else is refused naming what was found.
 */
import { z } from 'zod';
import { OciMediaTypeError } from './errors.js';

/** MEDIA holds the media types Skiff writes and reads. */
export const MEDIA = Object.freeze({
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  wasmConfig: 'application/vnd.wasm.config.v0+json',
  wasmLayer: 'application/wasm',
});

/** MANIFEST_ACCEPT is the Accept list for manifest requests. */
export const MANIFEST_ACCEPT = [MEDIA.ociManifest, MEDIA.ociIndex, MEDIA.dockerManifest, MEDIA.dockerList] as const;

const CONFIG_TYPES = new Set([
  MEDIA.wasmConfig,
  'application/vnd.wasm.config.v1+json',
  'application/vnd.module.wasm.config.v1+json',
  'application/vnd.oci.image.config.v1+json',
]);
const LAYER_TYPES = new Set([
  MEDIA.wasmLayer,
  'application/vnd.wasm.content.layer.v1+wasm',
  'application/vnd.module.wasm.content.layer.v1+wasm',
]);

const descriptor = z.object({
  mediaType: z.string(),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must be a sha256 digest'),
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: z.object({ architecture: z.string().optional(), os: z.string().optional() }).passthrough().optional(),
});

const manifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptor,
  layers: z.array(descriptor),
  annotations: z.record(z.string(), z.string()).optional(),
});

const indexSchema = z.object({ schemaVersion: z.literal(2), mediaType: z.string().optional(), manifests: z.array(descriptor) });

/** Descriptor points at a blob by digest and size. */
export type Descriptor = z.infer<typeof descriptor>;

/** Parsed is either a component manifest (with its wasm layer) or an index to descend into. */
export type Parsed = { kind: 'manifest'; layer: Descriptor } | { kind: 'index'; child: Descriptor };

/** parseManifest reads a manifest or index body and finds the wasm layer (or the child manifest to fetch). */
export function parseManifest(bytes: Uint8Array, contentType: string, label: string): Parsed {
  let raw: { mediaType?: unknown; manifests?: unknown };
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new OciMediaTypeError(`image ${label}: manifest is not JSON (content type ${contentType || 'none'})`);
  }
  const mediaType = typeof raw.mediaType === 'string' ? raw.mediaType : contentType;
  if (mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList || (Array.isArray(raw.manifests) && !mediaType)) {
    const index = indexSchema.safeParse(raw);
    if (!index.success) throw new OciMediaTypeError(`image ${label}: malformed index: ${index.error.issues[0]?.message}`);
    return { kind: 'index', child: pickFromIndex(index.data.manifests, label) };
  }
  if (mediaType && mediaType !== MEDIA.ociManifest && mediaType !== MEDIA.dockerManifest) {
    throw new OciMediaTypeError(`image ${label}: unsupported manifest media type ${mediaType}`);
  }
  const manifest = manifestSchema.safeParse(raw);
  if (!manifest.success) {
    throw new OciMediaTypeError(`image ${label}: malformed manifest: ${manifest.error.issues[0]?.message}`);
  }
  const { config, layers } = manifest.data;
  const found = `config ${config.mediaType}, layers [${layers.map((l) => l.mediaType).join(', ')}]`;
  if (!CONFIG_TYPES.has(config.mediaType) || layers.length !== 1 || !LAYER_TYPES.has(layers[0]!.mediaType)) {
    throw new OciMediaTypeError(
      `image ${label}: not a wasm component artifact: found ${found}; expected config ${MEDIA.wasmConfig} with one ${MEDIA.wasmLayer} layer`,
    );
  }
  return { kind: 'manifest', layer: layers[0]! };
}

function pickFromIndex(manifests: Descriptor[], label: string): Descriptor {
  const wasm = manifests.filter((m) => m.platform?.architecture === 'wasm' || m.platform?.os?.startsWith('wasi'));
  if (wasm.length >= 1) return wasm[0]!;
  if (manifests.length === 1) return manifests[0]!;
  const platforms = manifests.map((m) => `${m.platform?.os ?? '?'}/${m.platform?.architecture ?? '?'}`).join(', ');
  throw new OciMediaTypeError(`image ${label}: index has no wasm entry (platforms: ${platforms || 'none'})`);
}

/** buildArtifact builds the config and manifest bodies for one component layer. */
export function buildArtifact(layer: { digest: string; size: number }, annotations: Record<string, string>) {
  const created = annotations['org.opencontainers.image.created'];
  const config = encode({
    ...(created ? { created } : {}),
    architecture: 'wasm',
    os: 'wasip2',
    layerDigests: [layer.digest],
  });
  const manifest = (configDigest: string) =>
    encode({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      artifactType: MEDIA.wasmConfig,
      config: { mediaType: MEDIA.wasmConfig, digest: configDigest, size: config.length },
      layers: [{ mediaType: MEDIA.wasmLayer, digest: layer.digest, size: layer.size }],
      annotations,
    });
  return { config, manifest };
}

function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
