/**
 * The serve path of `wasi:http`: an `incoming-request` over a buffered request, the
 * `response-outparam` that captures the guest's `outgoing-response`, and `serve`, which
 * calls a guest's `incoming-handler#handle` and collects the response.
 */
import type { HttpRequestData, HttpResponseData } from '../../channel/messages.js';
import { bufferedStream, IncomingBody, OutgoingBody } from './body.js';
import { type ErrorCode, internalError } from './errors.js';
import { contentLength, type Fields, immutableFields, lock, pairsOf } from './fields.js';

/** Method is the WIT `method` variant. */
export type Method =
  | { tag: 'get' | 'head' | 'post' | 'put' | 'delete' | 'connect' | 'options' | 'trace' | 'patch' }
  | { tag: 'other'; val: string };

/** Scheme is the WIT `scheme` variant. */
export type Scheme = { tag: 'HTTP' | 'HTTPS' } | { tag: 'other'; val: string };

const METHODS: Record<string, Method> = {};
for (const m of ['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch'] as const) {
  METHODS[m.toUpperCase()] = Object.freeze({ tag: m });
}
const HTTP: Scheme = Object.freeze({ tag: 'HTTP' });
const HTTPS: Scheme = Object.freeze({ tag: 'HTTPS' });

/** methodOf maps an HTTP method name onto the WIT variant (standard methods are upper-case only). */
export function methodOf(name: string): Method {
  return METHODS[name] ?? { tag: 'other', val: name };
}

/** methodName maps the WIT variant onto an HTTP method name. */
export function methodName(method: Method): string {
  return method.tag === 'other' ? method.val : method.tag.toUpperCase();
}

function schemeOf(name: string): Scheme {
  const lower = name.toLowerCase();
  if (lower === 'http') return HTTP;
  if (lower === 'https') return HTTPS;
  return { tag: 'other', val: name };
}

/** IncomingRequest is the `incoming-request` resource over buffered request data. */
export class IncomingRequest {
  readonly #req: HttpRequestData;
  readonly #scheme: Scheme | undefined;
  readonly #authority: string | undefined;
  readonly #pathWithQuery: string;
  #headers: Fields | undefined;
  #consumed = false;

  constructor(req: HttpRequestData) {
    this.#req = req;
    const url = req.url;
    const sep = url.indexOf('://');
    if (sep < 0) {
      this.#pathWithQuery = url === '' ? '/' : url;
      return;
    }
    this.#scheme = schemeOf(url.slice(0, sep));
    const start = sep + 3;
    let end = start;
    while (end < url.length) {
      const c = url.charCodeAt(end);
      if (c === 0x2f /* / */ || c === 0x3f /* ? */ || c === 0x23 /* # */) break;
      end++;
    }
    this.#authority = url.slice(start, end);
    let path = url.slice(end);
    const hash = path.indexOf('#');
    if (hash >= 0) path = path.slice(0, hash);
    this.#pathWithQuery = path === '' ? '/' : path.charCodeAt(0) === 0x3f ? `/${path}` : path;
  }

  method(): Method {
    return methodOf(this.#req.method);
  }

  pathWithQuery(): string | undefined {
    return this.#pathWithQuery;
  }

  scheme(): Scheme | undefined {
    return this.#scheme;
  }

  authority(): string | undefined {
    return this.#authority;
  }

  /** headers returns the request's immutable headers (built on first use). */
  headers(): Fields {
    this.#headers ??= immutableFields(this.#req.headers);
    return this.#headers;
  }

  /** consume returns the body, at most once. */
  consume(): IncomingBody {
    if (this.#consumed) throw undefined;
    this.#consumed = true;
    const bytes = this.#req.body;
    return new IncomingBody(() => bufferedStream(bytes));
  }

  [Symbol.dispose](): void {}
}

/** OutgoingResponse is the `outgoing-response` resource. */
export class OutgoingResponse {
  _status = 200;
  readonly _headers: Fields;
  _body: OutgoingBody | undefined;

  constructor(headers: Fields) {
    this._headers = lock(headers);
  }

  statusCode(): number {
    return this._status;
  }

  setStatusCode(status: number): void {
    if (!Number.isInteger(status) || status < 100 || status > 999) throw undefined;
    this._status = status;
  }

  headers(): Fields {
    return this._headers;
  }

  /** body returns the response's body, at most once. */
  body(): OutgoingBody {
    if (this._body !== undefined) throw undefined;
    this._body = new OutgoingBody(false, contentLength(this._headers));
    return this._body;
  }

  [Symbol.dispose](): void {}
}

/** ResponseResult is the WIT `result<outgoing-response, error-code>` given to `response-outparam.set`. */
export type ResponseResult = { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: ErrorCode };

/** ResponseOutparam is the `response-outparam` resource: it keeps what the guest sets. */
export class ResponseOutparam {
  _result: ResponseResult | undefined;

  /** set is `[static]response-outparam.set`. */
  static set(param: ResponseOutparam, response: ResponseResult): void {
    if (param._result !== undefined) throw new Error('response-outparam set twice');
    param._result = response;
  }

  /** sendInformational (unstable in the WIT) is not supported: 1xx responses are not sent. */
  sendInformational(_status: number, headers: Fields): void {
    headers[Symbol.dispose]();
    throw internalError('informational responses are not supported');
  }

  [Symbol.dispose](): void {}
}

/** IncomingHandler is a guest's `wasi:http/incoming-handler` export. */
export interface IncomingHandler {
  handle(request: unknown, responseOut: unknown): unknown;
}

const encoder = new TextEncoder();
const bigintAsNumber = (_k: string, v: unknown) => (typeof v === 'bigint' ? Number(v) : v);

/**
 * serve runs one buffered request through `handler` and returns the buffered response.
 * A guest that sets an error answers 500; one that never sets the outparam, or leaves the
 * body it asked for unfinished, fails (an Error).
 */
export async function serve(handler: IncomingHandler, req: HttpRequestData): Promise<HttpResponseData> {
  const out = new ResponseOutparam();
  await handler.handle(new IncomingRequest(req), out);
  const result = out._result;
  if (result === undefined) throw new Error('the guest returned without setting its response-outparam');
  if (result.tag === 'err') {
    return {
      status: 500,
      headers: [['content-type', 'text/plain; charset=utf-8']],
      body: encoder.encode(`WASI HTTP handler error: ${JSON.stringify(result.val, bigintAsNumber)}`),
    };
  }
  const response = result.val;
  const body = response._body;
  if (body !== undefined && body._state !== 'finished') {
    throw new Error(
      body._state === 'open'
        ? 'the guest returned without finishing the response body'
        : 'the guest dropped the response body without finishing it',
    );
  }
  return {
    status: response._status,
    headers: pairsOf(response._headers, true),
    body: body === undefined ? new Uint8Array(0) : body._bytes(),
  };
}
