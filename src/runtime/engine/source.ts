/**
 * Component sources: where component bytes come from. `https://` URLs with a required
 * digest are built in, as are `file://` paths (file-source.ts, confined to allowed
 * directories); other schemes (OCI references) plug in through the `ComponentSource` seam.
 */
import { createHash } from 'node:crypto';
import { ComponentFetchError, DigestMismatchError, UnsupportedSourceError } from '../errors.js';

/** ComponentRef is what a workload says about one component's origin. */
export interface ComponentRef {
  readonly image: string;
  readonly digest?: string | undefined;
  readonly imagePullSecret?: string | undefined;
  /** imagePullPolicy applies to OCI images (Kubernetes semantics). */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never' | undefined;
  /** baseDir resolves relative file:// paths (the manifest's folder). */
  readonly baseDir?: string | undefined;
  /**
   * pullCredentials are the imagePullSecret's credentials for this pull only, sent with the
   * start. With `imagePullSecret` set and no credentials the pull is anonymous: a host never
   * lends its own credentials to a workload that named a secret.
   */
  readonly pullCredentials?: PullCredentials | undefined;
}

/** PullCredentials are a registry's username and password (or identity token) for one pull. */
export interface PullCredentials {
  /** registry is the registry host[:port] they are for; any other registry gets none. */
  readonly registry: string;
  readonly username: string;
  readonly password: string;
}

/** ComponentSource fetches component bytes for the references it handles. */
export interface ComponentSource {
  /** handles says whether this source understands the reference. */
  handles(ref: ComponentRef): boolean;
  /** fetch returns the component bytes. */
  fetch(ref: ComponentRef, signal?: AbortSignal): Promise<Uint8Array>;
}

/** sha256Digest returns `sha256:<hex>` of the bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** httpsSource downloads components over HTTPS; the digest is required. */
export function httpsSource(
  options: { fetch?: typeof fetch; allowHttpLoopback?: boolean; maxBytes?: number; timeoutMs?: number } = {},
): ComponentSource {
  const doFetch = options.fetch ?? fetch;
  const maxBytes = options.maxBytes ?? MAX_COMPONENT_BYTES;
  const timeoutMs = options.timeoutMs ?? 120_000;
  return {
    handles: (ref) =>
      ref.image.startsWith('https://') || (options.allowHttpLoopback === true && isLoopbackHttp(ref.image)),
    async fetch(ref, signal) {
      if (!ref.digest) {
        throw new ComponentFetchError(`component ${ref.image}: a digest (sha256:…) is required for https:// images`);
      }
      const deadline = AbortSignal.timeout(timeoutMs);
      const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
      try {
        const response = await doFetch(ref.image, { signal: both, redirect: 'follow' });
        if (!response.ok) {
          throw new ComponentFetchError(`cannot download ${ref.image}: HTTP ${response.status} ${response.statusText}`);
        }
        const declared = Number(response.headers.get('content-length') ?? '0');
        if (declared > maxBytes) throw tooLarge(ref.image, maxBytes);
        const { bytes, complete } = await readBounded(response, maxBytes);
        if (!complete) throw tooLarge(ref.image, maxBytes);
        return bytes;
      } catch (err) {
        if (err instanceof ComponentFetchError) throw err;
        const why = deadline.aborted ? `no complete answer within ${timeoutMs} ms` : (err as Error).message;
        throw new ComponentFetchError(`cannot download ${ref.image}: ${why}`, { cause: err });
      }
    },
  };
}

/**
 * readBounded reads a response body as it streams, never holding more than `max` bytes:
 * past that it cancels the body and returns the first `max` bytes with `complete: false`.
 */
export async function readBounded(res: Response, max: number): Promise<{ bytes: Uint8Array; complete: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of (res.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
    if (size + chunk.byteLength > max) {
      chunks.push(chunk.subarray(0, max - size));
      await res.body?.cancel().catch(() => undefined);
      return { bytes: new Uint8Array(Buffer.concat(chunks, max)), complete: false };
    }
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  return { bytes: new Uint8Array(Buffer.concat(chunks, size)), complete: true };
}

/** MAX_COMPONENT_BYTES bounds a downloaded component (256 MiB). */
export const MAX_COMPONENT_BYTES = 256 * 2 ** 20;

function tooLarge(image: string, maxBytes: number): ComponentFetchError {
  return new ComponentFetchError(`cannot download ${image}: larger than ${maxBytes} bytes`);
}

function isLoopbackHttp(image: string): boolean {
  if (!image.startsWith('http://')) return false;
  const host = new URL(image).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

/** verifyDigest throws a DigestMismatchError when `expected` is set and differs from the bytes' digest. */
export function verifyDigest(ref: ComponentRef, bytes: Uint8Array): string {
  const actual = sha256Digest(bytes);
  if (ref.digest && ref.digest !== actual) {
    throw new DigestMismatchError(`component ${ref.image}: digest mismatch: expected ${ref.digest}, got ${actual}`);
  }
  return actual;
}

/** SourceSet picks the first source that handles a reference. */
export class SourceSet {
  readonly #sources: ComponentSource[];
  constructor(sources: ComponentSource[]) {
    this.#sources = sources;
  }
  /** fetch returns the verified bytes and digest of a component. */
  async fetch(ref: ComponentRef, signal?: AbortSignal): Promise<{ bytes: Uint8Array; digest: string }> {
    const source = this.#sources.find((s) => s.handles(ref));
    if (!source) {
      throw new UnsupportedSourceError(
        `component image ${JSON.stringify(ref.image)}: no source for it (supported: file://, https:// with digest${
          this.#sources.length > 2 ? ', and registered sources' : ''
        }); OCI references need an OCI source`,
      );
    }
    const bytes = await source.fetch(ref, signal);
    return { bytes, digest: verifyDigest(ref, bytes) };
  }
}
