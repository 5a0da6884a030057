import { describe, expect, it } from 'vitest';
import type { HttpRequestData } from '../../channel/messages.js';
import { io } from '../../shared/shim.js';
import { type IncomingBody, OutgoingBody } from './body.js';
import { Fields } from './fields.js';
import { type IncomingRequest, OutgoingResponse, ResponseOutparam, serve } from './serve.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function throws(fn: () => unknown): boolean {
  try {
    fn();
  } catch {
    return true;
  }
  return false;
}

interface Input {
  read(len: bigint): Uint8Array;
  blockingRead(len: bigint): Uint8Array | Promise<Uint8Array>;
  [Symbol.dispose](): void;
}
interface Output {
  checkWrite(): bigint;
  write(buf: Uint8Array): void;
  blockingWriteAndFlush(buf: Uint8Array): void;
  [Symbol.dispose](): void;
}

function request(over: Partial<HttpRequestData> = {}): HttpRequestData {
  return { method: 'GET', url: 'http://example.test:8080/p?q=1', headers: [], body: new Uint8Array(), ...over };
}

/** readAll reads an input-stream until `closed`, the way guests do. */
async function readAll(stream: Input, chunk = 4n): Promise<Uint8Array> {
  const parts: number[] = [];
  for (;;) {
    let bytes: Uint8Array;
    try {
      bytes = await stream.blockingRead(chunk);
    } catch (e) {
      expect(e).toEqual({ tag: 'closed' });
      break;
    }
    parts.push(...bytes);
  }
  return new Uint8Array(parts);
}

/** respond is a guest handler that answers `status`, `headers` and the body `chunks`. */
function respond(status: number, headers: [string, string][], chunks: string[] | undefined) {
  return {
    handle(_req: unknown, out: ResponseOutparam) {
      const response = new OutgoingResponse(Fields.fromList(headers.map(([n, v]) => [n, enc(v)])));
      response.setStatusCode(status);
      if (chunks === undefined) {
        ResponseOutparam.set(out, { tag: 'ok', val: response });
        return;
      }
      const body = response.body();
      ResponseOutparam.set(out, { tag: 'ok', val: response });
      const stream = body.write() as Output;
      for (const c of chunks) {
        if (c.length > 3) {
          expect(stream.checkWrite()).toBeGreaterThanOrEqual(BigInt(c.length));
          stream.write(enc(c));
        } else stream.blockingWriteAndFlush(enc(c));
      }
      stream[Symbol.dispose]();
      OutgoingBody.finish(body, undefined);
    },
  };
}

describe('wasi:http serve path', () => {
  it('gives the guest method, path with query, scheme, authority, headers and body', async () => {
    let seen: Record<string, unknown> = {};
    const handler = {
      async handle(req: IncomingRequest, out: ResponseOutparam) {
        const body = req.consume();
        expect(throws(() => req.consume())).toBe(true);
        const stream = body.stream() as Input;
        expect(stream).toBeInstanceOf(io.streams.InputStream as never);
        seen = {
          method: req.method(),
          path: req.pathWithQuery(),
          scheme: req.scheme(),
          authority: req.authority(),
          headers: req
            .headers()
            .entries()
            .map(([n, v]) => [n, dec(v)]),
          body: dec(await readAll(stream)),
        };
        stream[Symbol.dispose]();
        expect(throws(() => body.stream())).toBe(true);
        ResponseOutparam.set(out, { tag: 'ok', val: new OutgoingResponse(new Fields()) });
      },
    };
    await serve(
      handler as never,
      request({
        method: 'POST',
        headers: [
          ['content-type', 'text/plain'],
          ['x-a', '1'],
          ['x-a', '2'],
        ],
        body: enc('hello, body'),
      }),
    );
    expect(seen).toMatchObject({
      method: { tag: 'post' },
      path: '/p?q=1',
      scheme: { tag: 'HTTP' },
      authority: 'example.test:8080',
      headers: [
        ['content-type', 'text/plain'],
        ['x-a', '1'],
        ['x-a', '2'],
      ],
      body: 'hello, body',
    });
  });

  it('maps methods and a bare query onto the WIT shapes', async () => {
    const seen: unknown[] = [];
    const handler = {
      handle(req: IncomingRequest, out: ResponseOutparam) {
        seen.push(req.method(), req.pathWithQuery(), req.scheme());
        ResponseOutparam.set(out, { tag: 'ok', val: new OutgoingResponse(new Fields()) });
      },
    };
    await serve(handler as never, request({ method: 'PROPFIND', url: 'https://h?x=1' }));
    await serve(handler as never, request({ method: 'DELETE', url: 'http://h' }));
    expect(seen).toEqual([
      { tag: 'other', val: 'PROPFIND' },
      '/?x=1',
      { tag: 'HTTPS' },
      { tag: 'delete' },
      '/',
      { tag: 'HTTP' },
    ]);
  });

  it('an empty request body is closed at once', async () => {
    let body: Uint8Array | undefined;
    const handler = {
      async handle(req: IncomingRequest, out: ResponseOutparam) {
        const b: IncomingBody = req.consume();
        body = await readAll(b.stream() as Input);
        ResponseOutparam.set(out, { tag: 'ok', val: new OutgoingResponse(new Fields()) });
      },
    };
    await serve(handler as never, request());
    expect(body).toEqual(new Uint8Array());
  });

  it('returns status, headers in order (lower-cased, multi-valued) and the body bytes', async () => {
    const res = await serve(
      respond(
        201,
        [
          ['Content-Type', 'application/json'],
          ['Set-Cookie', 'a=1'],
          ['x-z', 'last?'],
          ['set-cookie', 'b=2'],
        ],
        ['{"ok"', ':', 'true}'],
      ) as never,
      request(),
    );
    expect(res.status).toBe(201);
    expect(res.headers).toEqual([
      ['content-type', 'application/json'],
      ['set-cookie', 'a=1'],
      ['x-z', 'last?'],
      ['set-cookie', 'b=2'],
    ]);
    expect(dec(res.body)).toBe('{"ok":true}');
  });

  it('answers an empty body when the guest never asks for one, or writes nothing', async () => {
    const none = await serve(respond(204, [], undefined) as never, request());
    expect(none).toEqual({ status: 204, headers: [], body: new Uint8Array() });
    const empty = await serve(respond(200, [['x', '1']], []) as never, request());
    expect(empty).toEqual({ status: 200, headers: [['x', '1']], body: new Uint8Array() });
  });

  it('fails when the guest never sets the response-outparam', async () => {
    await expect(serve({ handle() {} }, request())).rejects.toThrow(/without setting its response-outparam/);
  });

  it('answers 500 when the guest sets an error', async () => {
    const handler = {
      handle(_req: unknown, out: ResponseOutparam) {
        ResponseOutparam.set(out, { tag: 'err', val: { tag: 'internal-error', val: 'boom' } });
      },
    };
    const res = await serve(handler as never, request());
    expect(res.status).toBe(500);
    expect(dec(res.body)).toContain('boom');
  });

  it('closes the stream and fails the request when the body grows past the limit', async () => {
    const { MAX_BODY_BYTES } = await import('./body.js');
    let refused = false;
    const handler = {
      handle(_req: unknown, out: ResponseOutparam) {
        const response = new OutgoingResponse(new Fields());
        const body = response.body();
        ResponseOutparam.set(out, { tag: 'ok', val: response });
        const stream = body.write() as Output;
        const chunk = new Uint8Array(1 << 20);
        for (let written = 0; written <= MAX_BODY_BYTES; written += chunk.length) {
          try {
            stream.checkWrite();
            stream.write(chunk);
          } catch (e) {
            refused = (e as { tag?: string }).tag === 'closed';
            break;
          }
        }
      },
    };
    await expect(serve(handler as never, request())).rejects.toThrow(/response body/);
    expect(refused).toBe(true);
  });

  it('fails when the body is left unfinished or dropped', async () => {
    const leave = (drop: boolean) => ({
      handle(_req: unknown, out: ResponseOutparam) {
        const response = new OutgoingResponse(new Fields());
        const body = response.body();
        ResponseOutparam.set(out, { tag: 'ok', val: response });
        (body.write() as Output).blockingWriteAndFlush(enc('partial'));
        if (drop) body[Symbol.dispose]();
      },
    });
    await expect(serve(leave(false) as never, request())).rejects.toThrow(/without finishing/);
    await expect(serve(leave(true) as never, request())).rejects.toThrow(/dropped the response body/);
  });

  it('checks the body against content-length and rejects writes after finish', () => {
    const response = new OutgoingResponse(Fields.fromList([['Content-Length', enc('5')]]));
    const body = response.body();
    expect(throws(() => response.body())).toBe(true);
    const stream = body.write() as Output;
    expect(throws(() => body.write())).toBe(true);
    stream.blockingWriteAndFlush(enc('abc'));
    let error: unknown;
    try {
      OutgoingBody.finish(body, undefined);
    } catch (e) {
      error = e;
    }
    expect(error).toEqual({ tag: 'HTTP-response-body-size', val: 3n });
    expect(throws(() => stream.blockingWriteAndFlush(enc('x')))).toBe(true);
  });

  it('validates status codes', () => {
    const response = new OutgoingResponse(new Fields());
    expect(response.statusCode()).toBe(200);
    expect(throws(() => response.setStatusCode(99))).toBe(true);
    expect(throws(() => response.setStatusCode(1000))).toBe(true);
    response.setStatusCode(418);
    expect(response.statusCode()).toBe(418);
  });
});
