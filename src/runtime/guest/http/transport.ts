/**
 * The wire under `wasi:http/outgoing-handler`: one request over node:http or node:https,
 * connecting through a `lookup` the caller chooses (egress.ts checks every resolved
 * address there). Redirects are not followed (the guest sees the 3xx), and the content
 * codings fetch would decode are decoded (the caller asks for identity unless the guest chooses).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { pipeline, Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, createZstdDecompress } from 'node:zlib';

/** TransportRequest is one outgoing request, its body already complete. */
export interface TransportRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: readonly [string, string][];
  readonly body: Uint8Array | undefined;
  readonly signal: AbortSignal;
  readonly lookup: LookupFunction;
}

/** TransportResponse is a response's status, its header fields (lowercase names) and its body. */
export interface TransportResponse {
  readonly status: number;
  readonly headers: [string, string][];
  readonly body: ReadableStream<Uint8Array> | null;
  /** decoded says the body was decoded from its content coding (its encoding and length no longer apply). */
  readonly decoded: boolean;
}

// Hop-by-hop fields belong to one connection; node:http manages its own.
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'transfer-encoding',
  'upgrade',
]);

const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
  zstd: createZstdDecompress,
};

/** transport sends a request and resolves with the response head; the body streams after. */
export function transport(req: TransportRequest): Promise<TransportResponse> {
  const url = new URL(req.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const fields = req.headers.filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase()));
  const has = (name: string) => fields.some(([n]) => n.toLowerCase() === name);
  // Given as a list (which keeps repeated fields), headers get no Host or Content-Length from node:http.
  if (!has('host')) fields.unshift(['host', url.host]);
  const length = req.body?.byteLength ?? (req.method === 'GET' || req.method === 'HEAD' ? undefined : 0);
  if (length !== undefined && !has('content-length')) fields.push(['content-length', String(length)]);
  const headers = fields.flat();
  return new Promise((resolve, reject) => {
    const outgoing = send(url, { method: req.method, headers, signal: req.signal, lookup: req.lookup }, (res) => {
      try {
        resolve(responseOf(res, req.method));
      } catch (err) {
        res.destroy();
        reject(err);
      }
    });
    outgoing.on('error', reject);
    outgoing.end(
      req.body === undefined ? undefined : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength),
    );
  });
}

function responseOf(res: IncomingMessage, method: string): TransportResponse {
  const status = res.statusCode ?? 0;
  const headers: [string, string][] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2)
    headers.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
  const bodiless = method === 'HEAD' || status === 204 || status === 304;
  if (bodiless) {
    res.resume();
    return { status, headers, body: null, decoded: false };
  }
  const codings = (res.headers['content-encoding'] ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  const decoded = codings.length > 0 && codings.every((c) => DECODERS[c] !== undefined);
  // Codings apply in order, so they come off in reverse. pipeline destroys every stage when
  // one fails or the guest drops the body, so the connection is not left half read.
  const stream = decoded
    ? (pipeline([res, ...codings.reverse().map((c) => DECODERS[c]!())], () => undefined) as unknown as Readable)
    : res;
  return { status, headers, body: Readable.toWeb(stream) as ReadableStream<Uint8Array>, decoded };
}
