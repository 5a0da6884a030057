/**
 * The client side of `wasi:http`: `outgoing-request`, `request-options`,
 * `future-incoming-response` and `incoming-response`, and `send`, which performs an
 * outgoing request (transport.ts) once the guest has finished its body, connecting only
 * where the workload's egress policy allows (egress.ts).
 * Redirects are not followed: the guest sees the 3xx response, as the WIT asks.
 */
import { pollable } from '../../shared/shim.js';
import { bufferedStream, IncomingBody, OutgoingBody, readableStream } from './body.js';
import { type EgressDecision, guardedLookup } from './egress.js';
import { type ErrorCode, fetchErrorCode } from './errors.js';
import { contentLength, type FieldEntry, type Fields, lock, pairsOf, trustedFields } from './fields.js';
import { type Method, methodName, type Scheme } from './serve.js';
import type { ChildSpan } from '../trace.js';
import { type TransportResponse, transport } from './transport.js';

const GET: Method = Object.freeze({ tag: 'get' });
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
// Visible ASCII without `#`: a path and query in origin or asterisk form.
const PATH_WITH_QUERY = /^[\x21\x22\x24-\x7e]*$/;
// host (name, IPv4 or bracketed IPv6) with an optional port; no user info.
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::(\d{0,5}))?$/;

/** OutgoingRequest is the `outgoing-request` resource. */
export class OutgoingRequest {
  _method: Method = GET;
  _scheme: Scheme | undefined;
  _pathWithQuery: string | undefined;
  _authority: string | undefined;
  readonly _headers: Fields;
  _body: OutgoingBody | undefined;

  constructor(headers: Fields) {
    this._headers = lock(headers);
  }

  /** body returns the request's body, at most once. */
  body(): OutgoingBody {
    if (this._body !== undefined) throw undefined;
    this._body = new OutgoingBody(true, contentLength(this._headers));
    return this._body;
  }

  method(): Method {
    return this._method;
  }

  setMethod(method: Method): void {
    if (method.tag === 'other' && !TOKEN.test(method.val)) throw undefined;
    this._method = method;
  }

  pathWithQuery(): string | undefined {
    return this._pathWithQuery;
  }

  setPathWithQuery(pathWithQuery: string | undefined): void {
    if (pathWithQuery !== undefined && !PATH_WITH_QUERY.test(pathWithQuery)) throw undefined;
    this._pathWithQuery = pathWithQuery;
  }

  scheme(): Scheme | undefined {
    return this._scheme;
  }

  setScheme(scheme: Scheme | undefined): void {
    if (scheme?.tag === 'other' && !SCHEME.test(scheme.val)) throw undefined;
    this._scheme = scheme;
  }

  authority(): string | undefined {
    return this._authority;
  }

  setAuthority(authority: string | undefined): void {
    if (authority !== undefined) {
      const m = AUTHORITY.exec(authority);
      if (!m || (m[1] !== undefined && (m[1] === '' || Number(m[1]) > 65535))) throw undefined;
    }
    this._authority = authority;
  }

  headers(): Fields {
    return this._headers;
  }

  [Symbol.dispose](): void {}
}

/** RequestOptions is the `request-options` resource: timeouts in nanoseconds. */
export class RequestOptions {
  #connect: bigint | undefined;
  #firstByte: bigint | undefined;
  #betweenBytes: bigint | undefined;

  connectTimeout(): bigint | undefined {
    return this.#connect;
  }
  setConnectTimeout(duration: bigint | undefined): void {
    this.#connect = duration;
  }
  firstByteTimeout(): bigint | undefined {
    return this.#firstByte;
  }
  setFirstByteTimeout(duration: bigint | undefined): void {
    this.#firstByte = duration;
  }
  betweenBytesTimeout(): bigint | undefined {
    return this.#betweenBytes;
  }
  setBetweenBytesTimeout(duration: bigint | undefined): void {
    this.#betweenBytes = duration;
  }
  [Symbol.dispose](): void {}
}

/** IncomingResponse is the `incoming-response` resource over a transport response. */
export class IncomingResponse {
  readonly #status: number;
  readonly #headers: Fields;
  #body: ReadableStream<Uint8Array> | null | undefined;

  constructor(response: TransportResponse) {
    this.#status = response.status;
    const entries: FieldEntry[] = [];
    for (const [name, value] of response.headers) {
      // A decoded body: its encoding and length no longer apply.
      if (response.decoded && (name === 'content-encoding' || name === 'content-length')) continue;
      entries.push([name, Buffer.from(value, 'latin1')]);
    }
    this.#headers = trustedFields(entries);
    this.#body = response.body;
  }

  status(): number {
    return this.#status;
  }

  headers(): Fields {
    return this.#headers;
  }

  /** consume returns the body, at most once. */
  consume(): IncomingBody {
    const body = this.#body;
    if (body === undefined) throw undefined;
    this.#body = undefined;
    if (body === null) return new IncomingBody(() => bufferedStream(new Uint8Array(0)));
    return new IncomingBody(
      () => readableStream(body),
      () => void body.cancel().catch(() => {}),
    );
  }

  [Symbol.dispose](): void {
    const body = this.#body;
    this.#body = undefined;
    void body?.cancel().catch(() => {});
  }
}

type ResponseResult = { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: ErrorCode };

/** FutureIncomingResponse is the `future-incoming-response` resource. */
export class FutureIncomingResponse {
  _result: ResponseResult | undefined;
  #taken = false;
  readonly #settled: Promise<unknown>;
  readonly #abort: AbortController;

  constructor(run: (signal: AbortSignal) => Promise<ResponseResult>) {
    this.#abort = new AbortController();
    this.#settled = run(this.#abort.signal).then((r) => {
      this._result = r;
    });
  }

  subscribe(): unknown {
    return pollable(this.#settled);
  }

  get(): unknown {
    const result = this._result;
    if (result === undefined) return undefined;
    if (this.#taken) return { tag: 'err', val: undefined };
    this.#taken = true;
    return { tag: 'ok', val: result };
  }

  [Symbol.dispose](): void {
    if (this._result === undefined) this.#abort.abort();
  }
}

function ms(ns: bigint | undefined): number | undefined {
  return ns === undefined ? undefined : Number(ns / 1_000_000n);
}

function bodyDone(body: OutgoingBody): Promise<ErrorCode | undefined> {
  if (body._state === 'finished') return Promise.resolve(undefined);
  if (body._state === 'dropped')
    return Promise.resolve({ tag: 'internal-error', val: 'outgoing body dropped without finish' });
  return new Promise((resolve) => {
    body._onEnd = resolve;
  });
}

/** schemeOf returns the scheme an outgoing request uses (https unless the guest says HTTP), or throws its error code. */
export function schemeOf(request: OutgoingRequest): 'http' | 'https' {
  const scheme = request._scheme;
  if (scheme?.tag === 'other') throw { tag: 'HTTP-protocol-error' } satisfies ErrorCode;
  return scheme?.tag === 'HTTP' ? 'http' : 'https';
}

/**
 * send performs `request` and returns its future response; it throws an error code for a
 * request that cannot be sent at all. `decision` is where the egress policy lets it connect
 * (the caller checked the authority); every address a name resolves to is checked again.
 */
export function send(
  request: OutgoingRequest,
  options: RequestOptions | undefined,
  decision: EgressDecision,
  span?: ChildSpan,
): FutureIncomingResponse {
  const scheme = schemeOf(request);
  const authority = request._authority;
  if (!authority) throw { tag: 'HTTP-request-URI-invalid' } satisfies ErrorCode;
  let path = request._pathWithQuery ?? '/';
  if (!path.startsWith('/')) path = `/${path}`;
  const url = `${scheme}://${authority}${path}`;
  const method = methodName(request._method);
  let headers = pairsOf(request._headers, false);
  if (!request._headers.has('accept-encoding')) headers.push(['accept-encoding', 'identity']);
  if (span) {
    // The request continues the guest's trace: its traceparent names this request's span.
    headers = headers.filter(([name]) => name.toLowerCase() !== 'traceparent');
    headers.push(['traceparent', span.traceparent]);
  }
  const body = request._body;
  const connectMs = ms(options?.connectTimeout());
  const firstByteMs = ms(options?.firstByteTimeout());

  return new FutureIncomingResponse(async (signal) => {
    let bytes: Uint8Array | undefined;
    if (body !== undefined) {
      const error = await bodyDone(body);
      if (error) return { tag: 'err', val: error };
      if (body._size > 0) bytes = body._bytes();
    }
    // The guest dropped the future while its body was still being written.
    if (signal.aborted) return { tag: 'err', val: { tag: 'internal-error', val: 'request dropped' } };
    let timedOut: 'connect' | 'first-byte' | undefined;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const limit =
      connectMs === undefined ? firstByteMs : firstByteMs === undefined ? connectMs : Math.min(connectMs, firstByteMs);
    const timer =
      limit === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = limit === connectMs ? 'connect' : 'first-byte';
            controller.abort();
          }, limit);
    try {
      const response = await transport({
        url,
        method,
        headers,
        body: bytes,
        signal: controller.signal,
        lookup: guardedLookup(decision),
      });
      span?.end(response.status >= 500 ? `status ${response.status}` : undefined, {
        'http.response.status_code': response.status,
      });
      return { tag: 'ok', val: new IncomingResponse(response) };
    } catch (err) {
      const code = fetchErrorCode(err, timedOut);
      span?.end(code.tag);
      return { tag: 'err', val: code };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  });
}
