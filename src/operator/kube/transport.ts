/**
 * HTTP to the API server with client-node doing configuration and authentication only:
 * `KubeConfig.applyToHTTPSOptions` supplies TLS material and auth headers per request
 * (so rotating tokens keep working); requests go through node:https on one keep-alive
 * agent, every one bounded in time and size. Watches are streamed line by line.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { errorFromStatus, KubeConfigError, KubeError, parseStatus } from './errors.js';

/** RawResponse is a status code and the body text. */
export interface RawResponse {
  status: number;
  text: string;
}

/** RequestInit says how to send one request. */
export interface RequestInit {
  body?: string | undefined;
  contentType?: string | undefined;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** accept overrides `Accept: application/json` (e.g. for metadata-only answers). */
  accept?: string | undefined;
}

/** StreamInit says how to read one watch stream. */
export interface StreamInit {
  signal: AbortSignal;
  /** Abort when no bytes arrive for this long. */
  idleMs: number;
  /** Abort after this long in any case. */
  deadlineMs: number;
  /** Called once the server answered 200 (the stream is established). */
  onOpen?: () => void;
  /** Called for every line; a throw aborts the stream with that error. */
  onLine: (line: string) => void;
  /** accept overrides `Accept: application/json` (e.g. for metadata-only events). */
  accept?: string | undefined;
}

/** TransportOptions bound every request. */
export interface TransportOptions {
  timeoutMs: number;
  maxBodyBytes: number;
  maxLineBytes: number;
}

type Prepared = { options: RequestOptions; secure: boolean };

/** Transport sends bounded requests to the API server of a KubeConfig's current context. */
export class Transport {
  readonly server: string;
  readonly #kc: KubeConfig;
  readonly #limits: TransportOptions;
  #agent: HttpAgent | undefined;

  constructor(kc: KubeConfig, limits: TransportOptions) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new KubeConfigError('kubeconfig: no current context or cluster');
    this.server = cluster.server.replace(/\/+$/, '');
    this.#kc = kc;
    this.#limits = limits;
  }

  async #prepare(method: string, headers: Record<string, string>): Promise<Prepared> {
    const auth: RequestOptions = {};
    await this.#kc.applyToHTTPSOptions(auth);
    const secure = this.server.startsWith('https:');
    if (!this.#agent) {
      const proxied = !!this.#kc.getCurrentCluster()?.proxyUrl;
      const tls = {
        ca: auth.ca,
        cert: auth.cert,
        key: auth.key,
        pfx: auth.pfx,
        passphrase: auth.passphrase,
        servername: auth.servername,
        ...(auth.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: auth.rejectUnauthorized }),
      };
      const common = { keepAlive: true, keepAliveMsecs: 30_000, scheduling: 'lifo' as const };
      this.#agent = proxied
        ? (auth.agent as HttpAgent)
        : secure
          ? new HttpsAgent({ ...common, ...tls })
          : new HttpAgent(common);
    }
    const given = (auth.headers ?? {}) as Record<string, string>;
    return {
      secure,
      options: {
        method,
        agent: this.#agent,
        auth: auth.auth,
        headers: { ...given, accept: 'application/json', 'user-agent': 'skiff-operator', ...headers },
      },
    };
  }

  #open(
    method: string,
    path: string,
    init: RequestInit,
    timeoutMs: number,
    timeoutWhat: string,
    headersMs: number,
    onResponse: (
      res: IncomingMessage,
      fail: (err: unknown) => void,
      done: (v: RawResponse | undefined) => void,
    ) => void,
  ): Promise<RawResponse | undefined> {
    const what = `${method} ${path}`;
    return new Promise((resolve, reject) => {
      let settled = false;
      let req: ReturnType<typeof httpsRequest> | undefined;
      const signal = init.signal;
      const finish = (err: unknown, value?: RawResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(headersTimer);
        signal?.removeEventListener('abort', onAbort);
        if (err) {
          req?.destroy();
          reject(err);
        } else resolve(value);
      };
      const onAbort = () => finish(signal?.reason ?? new Error('aborted'));
      const timer = setTimeout(
        () => finish(new KubeError('SKIFF_KUBE_UNAVAILABLE', 0, 'Timeout', `${what}: ${timeoutWhat} ${timeoutMs} ms`)),
        timeoutMs,
      );
      timer.unref();
      const headersTimer = setTimeout(
        () =>
          finish(new KubeError('SKIFF_KUBE_UNAVAILABLE', 0, 'Timeout', `${what}: no response within ${headersMs} ms`)),
        headersMs,
      );
      headersTimer.unref();
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      // Content-Length always: node sends a DELETE body without it, which the server reads as the next request.
      const headers: Record<string, string> =
        init.body === undefined
          ? {}
          : {
              'content-type': init.contentType ?? 'application/json',
              'content-length': String(Buffer.byteLength(init.body)),
            };
      if (init.accept) headers.accept = init.accept;
      this.#prepare(method, headers).then(
        ({ options, secure }) => {
          if (settled) return;
          req = (secure ? httpsRequest : httpRequest)(`${this.server}${path}`, options, (res) => {
            clearTimeout(headersTimer);
            res.on('error', (err) => finish(network(what, err)));
            onResponse(
              res,
              (err) => finish(err),
              (value) => finish(undefined, value),
            );
          });
          req.on('error', (err) => finish(network(what, err)));
          req.end(init.body);
        },
        (err) =>
          finish(
            new KubeError('SKIFF_KUBE_FORBIDDEN', 0, 'AuthFailed', `${what}: credentials: ${String(err)}`, {
              cause: err,
            }),
          ),
      );
    });
  }

  /** request sends one request and returns its status and body (bounded by maxBodyBytes and timeoutMs). */
  async request(method: string, path: string, init: RequestInit = {}): Promise<RawResponse> {
    const timeoutMs = init.timeoutMs ?? this.#limits.timeoutMs;
    const max = this.#limits.maxBodyBytes;
    const what = 'no complete answer within';
    const result = await this.#open(method, path, init, timeoutMs, what, timeoutMs, (res, fail, done) => {
      readBody(res, max, `${method} ${path}`).then((text) => done({ status: res.statusCode ?? 0, text }), fail);
    });
    return result as RawResponse;
  }

  /**
   * stream performs a GET whose 200 body is newline-delimited; it resolves when the server
   * ends the stream and rejects on errors, idleness, the deadline or a non-200 answer.
   */
  async stream(path: string, init: StreamInit): Promise<void> {
    const what = `GET ${path}`;
    const max = this.#limits.maxLineBytes;
    await this.#open(
      'GET',
      path,
      { signal: init.signal, accept: init.accept },
      init.deadlineMs,
      'stream open longer than',
      Math.min(init.idleMs, this.#limits.timeoutMs),
      (res, fail, done) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          readBody(res, this.#limits.maxBodyBytes, what).then(
            (text) => fail(errorFromStatus(what, status, parseStatus(text), text)),
            fail,
          );
          return;
        }
        init.onOpen?.();
        let idle: NodeJS.Timeout | undefined;
        const arm = () => {
          clearTimeout(idle);
          idle = setTimeout(() => {
            fail(new KubeError('SKIFF_KUBE_UNAVAILABLE', 0, 'Timeout', `${what}: no data for ${init.idleMs} ms`));
          }, init.idleMs);
          idle.unref();
        };
        arm();
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        res.on('data', (chunk: Buffer) => {
          arm();
          let start = 0;
          for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
            pending.push(chunk.subarray(start, nl));
            const line = Buffer.concat(pending).toString('utf8');
            pending = [];
            pendingBytes = 0;
            start = nl + 1;
            if (line.trim().length === 0) continue;
            try {
              init.onLine(line);
            } catch (err) {
              clearTimeout(idle);
              return fail(err);
            }
          }
          pending.push(chunk.subarray(start));
          pendingBytes += chunk.length - start;
          if (pendingBytes > max) {
            clearTimeout(idle);
            fail(new KubeError('SKIFF_KUBE_BAD_RESPONSE', 200, 'TooLarge', `${what}: a line exceeds ${max} bytes`));
          }
        });
        res.on('end', () => {
          clearTimeout(idle);
          done(undefined);
        });
        res.on('close', () => {
          clearTimeout(idle);
          if (!res.complete) fail(new KubeError('SKIFF_KUBE_UNAVAILABLE', 0, 'StreamClosed', `${what}: stream cut`));
        });
      },
    );
  }

  /** close drops pooled connections. */
  close(): void {
    this.#agent?.destroy();
  }
}

function network(what: string, err: Error): KubeError {
  const code = (err as NodeJS.ErrnoException).code ?? 'NetworkError';
  return new KubeError('SKIFF_KUBE_UNAVAILABLE', 0, code, `${what}: ${err.message}`, { cause: err });
}

function readBody(res: IncomingMessage, max: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > max) {
        res.destroy();
        reject(
          new KubeError(
            'SKIFF_KUBE_BAD_RESPONSE',
            res.statusCode ?? 0,
            'TooLarge',
            `${what}: body exceeds ${max} bytes`,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('close', () => {
      if (!res.complete) reject(new KubeError('SKIFF_KUBE_UNAVAILABLE', 0, 'StreamClosed', `${what}: response cut`));
    });
  });
}

/** query renders defined parameters as a URL query string (with its `?`), or '' when there are none. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
