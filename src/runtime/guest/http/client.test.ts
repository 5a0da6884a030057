import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpImports } from './imports.js';
import { OutgoingBody } from './body.js';
import { type FutureIncomingResponse, type IncomingResponse, OutgoingRequest, RequestOptions } from './client.js';
import { httpErrorCode } from './errors.js';
import { Fields } from './fields.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

interface Input {
  blockingRead(len: bigint): Uint8Array | Promise<Uint8Array>;
  [Symbol.dispose](): void;
}
interface Output {
  blockingWriteAndFlush(buf: Uint8Array): void;
  [Symbol.dispose](): void;
}
interface Pollable {
  ready(): boolean;
  block(): Promise<void> | void;
}

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/elsewhere' }).end();
        return;
      }
      if (req.url === '/gzip') {
        const ae = req.headers['accept-encoding'] ?? '';
        if (ae.includes('gzip')) res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('zipped'));
        else res.end(`plain (accept-encoding: ${ae})`);
        return;
      }
      if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2000);
        return;
      }
      const body = Buffer.concat(chunks).toString();
      res.setHeader('x-method', req.method ?? '');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url, body, custom: req.headers['x-custom'] ?? null }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

type Handle = (request: OutgoingRequest, options: RequestOptions | undefined) => FutureIncomingResponse;
const handler = (allowed: string[]) => httpImports(allowed)['wasi:http/outgoing-handler']!.handle as Handle;

function build(path: string, headers: [string, string][] = []): OutgoingRequest {
  const req = new OutgoingRequest(Fields.fromList(headers.map(([n, v]) => [n, enc(v)])));
  req.setScheme({ tag: 'HTTP' });
  req.setAuthority(`127.0.0.1:${port}`);
  req.setPathWithQuery(path);
  return req;
}

/** wait polls the future the way a guest does and returns what `get` gives. */
async function wait(future: FutureIncomingResponse): Promise<{ tag: string; val: { tag: string; val: unknown } }> {
  const p = future.subscribe() as Pollable;
  await p.block();
  expect(p.ready()).toBe(true);
  return future.get() as never;
}

async function readAll(response: IncomingResponse): Promise<string> {
  const stream = response.consume().stream() as Input;
  const parts: Uint8Array[] = [];
  for (;;) {
    try {
      parts.push(await stream.blockingRead(1024n));
    } catch (e) {
      expect(e).toEqual({ tag: 'closed' });
      break;
    }
  }
  stream[Symbol.dispose]();
  return dec(Buffer.concat(parts));
}

describe('wasi:http outgoing-handler', () => {
  it('sends a GET to an allowed host and streams the response back', async () => {
    const future = handler(['127.0.0.1'])(build('/get?x=1', [['X-Custom', 'yes']]), undefined);
    expect(future.get()).toBeUndefined();
    const result = await wait(future);
    expect(result.tag).toBe('ok');
    expect(result.val.tag).toBe('ok');
    const response = result.val.val as IncomingResponse;
    expect(response.status()).toBe(200);
    const headers = response.headers();
    expect(headers.get('X-Method').map(dec)).toEqual(['GET']);
    expect(headers.get('set-cookie').map(dec)).toEqual(['a=1', 'b=2']);
    expect(() => headers.append('x', enc('1'))).toThrow();
    expect(JSON.parse(await readAll(response))).toEqual({ url: '/get?x=1', body: '', custom: 'yes' });
    // a future gives its response once
    expect(future.get()).toEqual({ tag: 'err', val: undefined });
  });

  it('sends a body the guest writes and finishes after handle', async () => {
    const req = build('/post');
    req.setMethod({ tag: 'post' });
    const body = req.body();
    const future = handler(['127.0.0.1'])(req, undefined);
    const stream = body.write() as Output;
    stream.blockingWriteAndFlush(enc('hello '));
    stream.blockingWriteAndFlush(enc('server'));
    stream[Symbol.dispose]();
    OutgoingBody.finish(body, undefined);
    const result = await wait(future);
    const response = result.val.val as IncomingResponse;
    expect(response.headers().get('x-method').map(dec)).toEqual(['POST']);
    expect(JSON.parse(await readAll(response))).toMatchObject({ url: '/post', body: 'hello server' });
  });

  it('denies a host that is not allowed with HTTP-request-denied', () => {
    let error: unknown;
    try {
      handler(['example.com', '*.internal'])(build('/get'), undefined);
    } catch (e) {
      error = e;
    }
    expect(error).toEqual({ tag: 'HTTP-request-denied' });
  });

  it('does not follow redirects', async () => {
    const result = await wait(handler(['127.0.0.1'])(build('/redirect'), undefined));
    const response = result.val.val as IncomingResponse;
    expect(response.status()).toBe(302);
    expect(response.headers().get('location').map(dec)).toEqual(['/elsewhere']);
    response[Symbol.dispose]();
  });

  it('reports a refused connection as an error code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const req = build('/');
    req.setAuthority(`127.0.0.1:${deadPort}`);
    const result = await wait(handler(['127.0.0.1'])(req, undefined));
    expect(result).toEqual({ tag: 'ok', val: { tag: 'err', val: { tag: 'connection-refused' } } });
  });

  it('honours the first-byte timeout of request-options', async () => {
    const options = new RequestOptions();
    options.setFirstByteTimeout(100_000_000n);
    expect(options.firstByteTimeout()).toBe(100_000_000n);
    const result = await wait(handler(['127.0.0.1'])(build('/slow'), options));
    expect(result).toEqual({ tag: 'ok', val: { tag: 'err', val: { tag: 'HTTP-response-timeout' } } });
  });

  it('fails the request when the guest drops its body unfinished', async () => {
    const req = build('/post');
    req.setMethod({ tag: 'post' });
    const body = req.body();
    const future = handler(['127.0.0.1'])(req, undefined);
    body[Symbol.dispose]();
    const result = await wait(future);
    expect(result.val).toMatchObject({ tag: 'err', val: { tag: 'internal-error' } });
  });

  it('asks for identity encoding unless the guest chooses; a body fetch decoded loses its encoding header', async () => {
    const plain = await wait(handler(['127.0.0.1'])(build('/gzip'), undefined));
    expect(await readAll(plain.val.val as IncomingResponse)).toBe('plain (accept-encoding: identity)');
    const zipped = await wait(handler(['127.0.0.1'])(build('/gzip', [['accept-encoding', 'gzip']]), undefined));
    const response = zipped.val.val as IncomingResponse;
    expect(response.headers().has('content-encoding')).toBe(false);
    expect(await readAll(response)).toBe('zipped');
  });

  it('fails a request whose body does not match its content-length', async () => {
    const req = build('/post', [['content-length', '10']]);
    req.setMethod({ tag: 'post' });
    const body = req.body();
    const future = handler(['127.0.0.1'])(req, undefined);
    (body.write() as Output).blockingWriteAndFlush(enc('short'));
    let error: unknown;
    try {
      OutgoingBody.finish(body, undefined);
    } catch (e) {
      error = e;
    }
    expect(error).toEqual({ tag: 'HTTP-request-body-size', val: 5n });
    expect((await wait(future)).val).toEqual({ tag: 'err', val: { tag: 'HTTP-request-body-size', val: 5n } });
  });

  it('validates request fields', () => {
    const req = new OutgoingRequest(new Fields());
    expect(req.method()).toEqual({ tag: 'get' });
    expect(req.authority()).toBeUndefined();
    const fails = (fn: () => void) => {
      try {
        fn();
        return false;
      } catch {
        return true;
      }
    };
    expect(fails(() => req.setMethod({ tag: 'other', val: 'BAD METHOD' }))).toBe(true);
    expect(fails(() => req.setAuthority('user@host'))).toBe(true);
    expect(fails(() => req.setAuthority('host:99999'))).toBe(true);
    expect(fails(() => req.setPathWithQuery('/a b'))).toBe(true);
    expect(fails(() => req.setScheme({ tag: 'other', val: '1x' }))).toBe(true);
    req.setAuthority('[::1]:8080');
    req.setPathWithQuery('/a?b=c');
    expect(req.authority()).toBe('[::1]:8080');
    expect(httpErrorCode({})).toBeUndefined();
  });

  it('refuses a scheme other than http and https', () => {
    const req = build('/');
    req.setScheme({ tag: 'other', val: 'ftp' });
    let error: unknown;
    try {
      handler(['127.0.0.1'])(req, undefined);
    } catch (e) {
      error = e;
    }
    expect(error).toEqual({ tag: 'HTTP-protocol-error' });
  });
});
