import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpImports } from './imports.js';
import type { FutureIncomingResponse, RequestOptions } from './client.js';
import { OutgoingRequest } from './client.js';
import { EgressPolicy, isInternalAddress } from './egress.js';
import { Fields } from './fields.js';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((_req, res) => res.end('reached'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

type Handle = (request: OutgoingRequest, options: RequestOptions | undefined) => FutureIncomingResponse;

/** send makes a request as a guest whose allowedHosts are `allowed` would, and returns what it gets. */
async function send(allowed: string[], authority: string): Promise<unknown> {
  const handle = httpImports(allowed)['wasi:http/outgoing-handler']!.handle as Handle;
  const req = new OutgoingRequest(new Fields());
  req.setScheme({ tag: 'HTTP' });
  req.setAuthority(authority);
  req.setPathWithQuery('/');
  let future: FutureIncomingResponse;
  try {
    future = handle(req, undefined);
  } catch (code) {
    return { thrown: code };
  }
  await (future.subscribe() as { block(): Promise<void> | void }).block();
  const result = future.get() as { val: { tag: string; val: { status?: () => number; tag?: string } } };
  const inner = result.val;
  return inner.tag === 'ok' ? { status: inner.val.status!() } : { err: inner.val };
}

describe('outgoing HTTP egress', () => {
  it('lets a wildcard reach the internet but not loopback, by address or by a name that resolves to it', async () => {
    expect(await send(['*'], `127.0.0.1:${port}`)).toEqual({ thrown: { tag: 'destination-IP-prohibited' } });
    expect(await send(['*'], `localhost:${port}`)).toEqual({ err: { tag: 'destination-IP-prohibited' } });
    expect(await send(['*.localhost', 'localhost:1'], `localhost:${port}`)).toEqual({
      thrown: { tag: 'HTTP-request-denied' },
    });
  });

  it('reaches an internal address an entry names exactly', async () => {
    expect(await send(['127.0.0.1'], `127.0.0.1:${port}`)).toEqual({ status: 200 });
    expect(await send(['localhost'], `localhost:${port}`)).toEqual({ status: 200 });
  });

  it('limits an entry with a port to that port', async () => {
    expect(await send([`127.0.0.1:${port}`], `127.0.0.1:${port}`)).toEqual({ status: 200 });
    expect(await send([`localhost:${port}`], `localhost:${port}`)).toEqual({ status: 200 });
    expect(await send([`127.0.0.1:${port + 1}`], `127.0.0.1:${port}`)).toEqual({
      thrown: { tag: 'HTTP-request-denied' },
    });
    expect(await send(['127.0.0.1:80'], '127.0.0.1')).toMatchObject({ err: { tag: 'connection-refused' } });
  });
});

describe('EgressPolicy', () => {
  it('matches names, wildcards, addresses and ports', () => {
    const policy = new EgressPolicy(['api.example.com', '*.svc.local:8080', '[::1]:9000', '10.0.0.7']);
    expect(policy.permits('API.example.com', 'https')).toEqual({ host: 'api.example.com', port: 443, internal: true });
    expect(policy.permits('a.svc.local:8080', 'http')).toEqual({ host: 'a.svc.local', port: 8080, internal: false });
    expect(policy.permits('a.svc.local', 'http')).toBeUndefined();
    expect(policy.permits('svc.local:8080', 'http')).toBeUndefined();
    expect(policy.permits('[::1]:9000', 'http')).toMatchObject({ host: '::1', internal: true });
    expect(policy.permits('[::1]:9001', 'http')).toBeUndefined();
    expect(policy.permits('10.0.0.7:5432', 'http')).toMatchObject({ internal: true });
    expect(policy.permits('user@api.example.com', 'https')).toBeUndefined();
  });

  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.20.0.1', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::', true],
    ['fe80::1', true],
    ['fd00::1', true],
    ['::ffff:127.0.0.1', true],
    ['93.184.216.34', false],
    ['2606:2800:220:1::1', false],
    ['::ffff:93.184.216.34', false],
  ])('classifies %s as internal: %s', (address, internal) => {
    expect(isInternalAddress(address)).toBe(internal);
  });
});
