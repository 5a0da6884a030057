/**
 * A small client for the OCI distribution API: manifests (GET/HEAD/PUT), blobs (GET with
 * redirects, HEAD, monolithic upload), and the auth dance (anonymous, Basic, and the
 * Bearer token challenge with a repository scope). The only file that speaks HTTP to registries.
 */
import { readBounded } from '../engine/source.js';
import { basicAuth, type Challenge, type Credentials, parseChallenge } from './auth.js';
import { OciNotFoundError, OciRegistryError, OciUnauthorizedError, OciUnreachableError } from './errors.js';
import { apiHost, isLoopback, type Reference } from './reference.js';

/** ClientOptions configures a RegistryClient for one repository. */
export interface ClientOptions {
  readonly reference: Reference;
  /** label names the reference in error messages (the image as the user wrote it). */
  readonly label: string;
  readonly credentials?: Credentials | undefined;
  /** insecure registries (host[:port]) are spoken to over plain HTTP; loopback always is. */
  readonly insecure?: readonly string[] | undefined;
  /** push asks for `pull,push` scope instead of `pull`. */
  readonly push?: boolean;
  /** timeoutMs bounds each request, body included (default 120 s). */
  readonly timeoutMs?: number;
}

interface SendInit {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** what is being asked for, for error messages ("tag 1.0", "blob sha256:…"). */
  what: string;
  signal?: AbortSignal | undefined;
}

/** RegistryClient talks to one repository of one registry. */
export class RegistryClient {
  readonly #opts: ClientOptions;
  readonly #base: string;
  readonly #scope: string;
  #authorization: string | undefined;

  constructor(opts: ClientOptions) {
    this.#opts = opts;
    const { registry, repository } = opts.reference;
    const plain = isLoopback(registry) || (opts.insecure ?? []).includes(registry);
    this.#base = `${plain ? 'http' : 'https'}://${apiHost(registry)}/v2/${repository}`;
    this.#scope = `repository:${repository}:${opts.push ? 'pull,push' : 'pull'}`;
  }

  /** getManifest fetches a manifest by tag or digest, with its media type and the registry's digest header. */
  async getManifest(
    tagOrDigest: string,
    accept: readonly string[],
    signal?: AbortSignal,
  ): Promise<{ bytes: Uint8Array; mediaType: string; digestHeader: string | undefined }> {
    const res = await this.#send(`/manifests/${tagOrDigest}`, {
      headers: { accept: accept.join(', ') },
      what: describe(tagOrDigest),
      signal,
    });
    const bytes = await readLimited(res, 4 * 1024 * 1024, this.#opts.label);
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    return { bytes, mediaType, digestHeader: this.#digestHeader(res) };
  }

  /** headManifest resolves a tag (or checks a digest) to the manifest digest without downloading it. */
  async headManifest(
    tagOrDigest: string,
    accept: readonly string[],
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const res = await this.#send(`/manifests/${tagOrDigest}`, {
      method: 'HEAD',
      headers: { accept: accept.join(', ') },
      what: describe(tagOrDigest),
      signal,
    });
    return this.#digestHeader(res);
  }

  /** getBlob starts a blob download (redirects followed); the caller reads and verifies the body. */
  getBlob(digest: string, signal?: AbortSignal): Promise<Response> {
    return this.#send(`/blobs/${digest}`, { what: `blob ${digest}`, signal });
  }

  /** hasBlob says whether the repository already holds a blob. */
  async hasBlob(digest: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.#send(`/blobs/${digest}`, { method: 'HEAD', what: `blob ${digest}`, signal });
      return true;
    } catch (err) {
      if (err instanceof OciNotFoundError) return false;
      throw err;
    }
  }

  /** uploadBlob uploads a blob in one request (POST a session, then PUT the bytes with their digest). */
  async uploadBlob(digest: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    const start = await this.#send('/blobs/uploads/', { method: 'POST', what: `upload of ${digest}`, signal });
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (!location)
      throw new OciRegistryError(`image ${this.#opts.label}: registry gave no upload location`, start.status);
    const url = new URL(location, this.#base);
    // Credentials go only to the registry itself: never follow an upload to another origin.
    if (url.origin !== new URL(this.#base).origin) {
      throw new OciRegistryError(
        `image ${this.#opts.label}: registry sent an upload location on another origin (${url.origin}); refusing to send credentials there`,
        start.status,
      );
    }
    url.searchParams.set('digest', digest);
    const res = await this.#send(url.href, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
      what: `upload of ${digest}`,
      signal,
    });
    await res.body?.cancel();
  }

  /** putManifest stores a manifest under a tag (or digest) and returns the digest the registry reports. */
  async putManifest(
    tag: string,
    mediaType: string,
    bytes: Uint8Array,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const res = await this.#send(`/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'content-type': mediaType },
      body: bytes,
      what: `manifest ${tag}`,
      signal,
    });
    await res.body?.cancel();
    return res.headers.get('docker-content-digest') ?? undefined;
  }

  async #send(pathOrUrl: string, init: SendInit): Promise<Response> {
    const url = pathOrUrl.includes('://') ? pathOrUrl : this.#base + pathOrUrl;
    let res = await this.#fetch(url, init);
    if (res.status === 401) {
      const challenge = parseChallenge(res.headers.get('www-authenticate'));
      await res.body?.cancel();
      const authorization = challenge ? await this.#authorize(challenge, init.signal) : undefined;
      if (authorization === undefined) throw this.#unauthorized(init.what, challenge, res.status);
      this.#authorization = authorization;
      res = await this.#fetch(url, init);
      if (res.status === 401) {
        await res.body?.cancel();
        throw this.#unauthorized(init.what, challenge, 401);
      }
    }
    if (res.ok) return res;
    throw await this.#failure(res, init.what);
  }

  async #fetch(url: string, init: SendInit): Promise<Response> {
    const timeout = AbortSignal.timeout(this.#opts.timeoutMs ?? 120_000);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const headers: Record<string, string> = { ...init.headers };
    if (this.#authorization) headers.authorization = this.#authorization;
    try {
      return await fetch(url, {
        method: init.method ?? 'GET',
        headers,
        body: init.body as BodyInit | undefined,
        redirect: 'follow',
        signal,
      });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw this.#unreachable(err);
    }
  }

  async #authorize(challenge: Challenge, signal: AbortSignal | undefined): Promise<string | undefined> {
    const creds = this.#opts.credentials;
    if (challenge.scheme === 'basic') return creds ? basicAuth(creds) : undefined;
    const realm = challenge.params.realm;
    if (!realm) return undefined;
    const url = new URL(realm);
    if (url.protocol !== 'https:' && !(isLoopback(url.host) || (this.#opts.insecure ?? []).includes(url.host))) {
      throw new OciUnauthorizedError(`image ${this.#opts.label}: token realm ${realm} is not https`);
    }
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    url.searchParams.set('scope', this.#scope);
    const headers: Record<string, string> = creds ? { authorization: basicAuth(creds) } : {};
    let res: Response;
    try {
      const deadline = AbortSignal.timeout(this.#opts.timeoutMs ?? 120_000);
      res = await fetch(url, { headers, signal: signal ? AbortSignal.any([signal, deadline]) : deadline });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw this.#unreachable(err, `token server ${url.host}`);
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new OciUnauthorizedError(
        `image ${this.#opts.label}: unauthorized: token server ${url.host} refused ${creds ? `user ${creds.username}` : 'anonymous access'} (HTTP ${res.status})`,
      );
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new OciRegistryError(
        `image ${this.#opts.label}: token server ${url.host} answered HTTP ${res.status}`,
        res.status,
      );
    }
    const body = (await res.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown };
    const token = typeof body.token === 'string' ? body.token : body.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new OciRegistryError(`image ${this.#opts.label}: token server ${url.host} returned no token`, res.status);
    }
    return `Bearer ${token}`;
  }

  /** #digestHeader returns the registry's digest header, refusing anything but `sha256:<64 hex>`. */
  #digestHeader(res: Response): string | undefined {
    const value = res.headers.get('docker-content-digest') ?? undefined;
    if (value !== undefined && !/^sha256:[a-f0-9]{64}$/.test(value)) {
      throw new OciRegistryError(
        `image ${this.#opts.label}: registry sent an invalid digest header ${JSON.stringify(value.slice(0, 100))}`,
        res.status,
      );
    }
    return value;
  }

  #unauthorized(what: string, challenge: Challenge | undefined, status: number): OciUnauthorizedError {
    const who = this.#opts.credentials
      ? `user ${this.#opts.credentials.username}`
      : 'anonymous access (no credentials)';
    const how = challenge ? `${challenge.scheme} auth` : 'no auth challenge';
    return new OciUnauthorizedError(
      `image ${this.#opts.label}: unauthorized: registry ${this.#opts.reference.registry} refused ${who} for ${what} (HTTP ${status}, ${how})`,
    );
  }

  #unreachable(err: unknown, what = `registry ${this.#opts.reference.registry}`): OciUnreachableError {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const detail =
      (err as Error).name === 'TimeoutError' ? 'timed out' : (cause?.code ?? cause?.message ?? (err as Error).message);
    return new OciUnreachableError(`image ${this.#opts.label}: ${what} unreachable: ${detail}`, { cause: err });
  }

  async #failure(res: Response, what: string): Promise<Error> {
    const text = new TextDecoder().decode(
      await readLimited(res, 16 * 1024, this.#opts.label, true).catch(() => new Uint8Array()),
    );
    let code = '';
    let detail = '';
    try {
      const first = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors?.[0];
      code = first?.code ?? '';
      detail = first?.message ?? '';
    } catch {
      detail = text.slice(0, 200);
    }
    const label = this.#opts.label;
    const registry = this.#opts.reference.registry;
    if (res.status === 404) {
      const kind = code === 'NAME_UNKNOWN' ? `repository ${this.#opts.reference.repository}` : what;
      return new OciNotFoundError(`image ${label}: ${kind} unknown to registry ${registry}${code ? ` (${code})` : ''}`);
    }
    if (res.status === 403) {
      return new OciUnauthorizedError(
        `image ${label}: unauthorized: registry ${registry} denied ${what} (HTTP 403 ${code})`.trim(),
      );
    }
    return new OciRegistryError(
      `image ${label}: registry ${registry} answered HTTP ${res.status} for ${what}${code ? ` (${code}: ${detail})` : detail ? `: ${detail}` : ''}`,
      res.status,
    );
  }
}

function describe(tagOrDigest: string): string {
  return tagOrDigest.startsWith('sha256:') ? `manifest ${tagOrDigest}` : `tag ${tagOrDigest}`;
}

/**
 * readLimited reads a response body as it streams, refusing (or with `truncate`, cutting)
 * bodies over `max` bytes without ever holding more than that.
 */
async function readLimited(res: Response, max: number, label: string, truncate = false): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max && !truncate) {
    await res.body?.cancel();
    throw new OciRegistryError(`image ${label}: manifest of ${declared} bytes is larger than ${max}`, res.status);
  }
  const { bytes, complete } = await readBounded(res, max);
  if (!complete && !truncate) {
    throw new OciRegistryError(`image ${label}: manifest is larger than ${max} bytes`, res.status);
  }
  return bytes;
}
