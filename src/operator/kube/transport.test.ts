/**
 * The client against a hostile HTTP server of our own (not the API server): oversized and
 * malformed answers, silence, cut and refused connections must end as KubeErrors in bounded time.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kube } from './client.js';
import { CONFIGMAPS } from './resources.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Handler>();
let server: Server;
let port = 0;

function kube(options: ConstructorParameters<typeof Kube>[1] = {}, at = port): Kube {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${at}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return new Kube(kc, options);
}

function route(name: string, handler: Handler): void {
  routes.set(`/api/v1/namespaces/ns/configmaps/${name}`, handler);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const handler = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (handler) handler(req, res);
    else res.writeHead(404).end('{"kind":"Status","code":404,"reason":"NotFound","message":"nope"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  routes.set('/api/v1/namespaces/ns/configmaps', (req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const stream = q.get('resourceVersion');
    if (stream === 'no-headers') return;
    res.writeHead(200, { 'content-type': 'application/json' });
    if (stream === 'too-long') res.write(`{"type":"ADDED","object":{"x":"${'a'.repeat(4096)}`);
    else if (stream === 'silent') res.flushHeaders();
    else if (stream === 'gone') {
      res.end('{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old"}}\n');
    } else if (stream === 'garbage') res.end('{"type":"ADDED","object":{"metadata":{}}}\n');
    else if (stream === 'cut') {
      res.write('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}\n');
      setTimeout(() => res.socket?.destroy(), 20);
    }
  });
  route('big', (_req, res) => res.writeHead(200).end(`{"metadata":{"name":"big"},"data":"${'x'.repeat(10_000)}"}`));
  route('notjson', (_req, res) => res.writeHead(200).end('<html>'));
  route('nometa', (_req, res) => res.writeHead(200).end('{"kind":"ConfigMap"}'));
  route('hang', () => {});
  route('ok', (_req, res) => res.writeHead(200).end('{"metadata":{"name":"ok","namespace":"ns"}}'));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('Kube against a hostile server', () => {
  it('parses a good answer and fills in apiVersion and kind', async () => {
    expect(await kube().get(CONFIGMAPS, 'ns', 'ok')).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
    expect(await kube().get(CONFIGMAPS, 'ns', 'absent')).toBeUndefined();
  });

  it('refuses oversized, non-JSON and metadata-less bodies', async () => {
    const k = kube({ maxBodyBytes: 1024 });
    await expect(k.get(CONFIGMAPS, 'ns', 'big')).rejects.toMatchObject({
      code: 'SKIFF_KUBE_BAD_RESPONSE',
      reason: 'TooLarge',
    });
    await expect(k.get(CONFIGMAPS, 'ns', 'notjson')).rejects.toMatchObject({ code: 'SKIFF_KUBE_BAD_RESPONSE' });
    await expect(k.get(CONFIGMAPS, 'ns', 'nometa')).rejects.toMatchObject({ code: 'SKIFF_KUBE_BAD_RESPONSE' });
  });

  it('bounds a request that never gets an answer, and reports a refused connection', async () => {
    await expect(kube({ timeoutMs: 100 }).get(CONFIGMAPS, 'ns', 'hang')).rejects.toMatchObject({
      code: 'SKIFF_KUBE_UNAVAILABLE',
      reason: 'Timeout',
    });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    await expect(kube({}, dead).get(CONFIGMAPS, 'ns', 'ok')).rejects.toMatchObject({
      code: 'SKIFF_KUBE_UNAVAILABLE',
      reason: 'ECONNREFUSED',
    });
  });

  it('ends watches on oversized lines, silence, ERROR events, malformed objects and cuts', async () => {
    const k = kube({ maxLineBytes: 1024 });
    const signal = new AbortController().signal;
    const watch = (rv: string, idleMs = 5_000) => k.watch(CONFIGMAPS, 'ns', rv, () => {}, signal, { idleMs });
    await expect(watch('too-long')).rejects.toMatchObject({ code: 'SKIFF_KUBE_BAD_RESPONSE', reason: 'TooLarge' });
    await expect(watch('silent', 100)).rejects.toMatchObject({ code: 'SKIFF_KUBE_UNAVAILABLE', reason: 'Timeout' });
    await expect(watch('silent', 100)).rejects.toThrow('no data for 100 ms');
    await expect(watch('no-headers', 100)).rejects.toThrow('no response within 100 ms');
    await expect(watch('gone')).rejects.toMatchObject({ code: 'SKIFF_KUBE_GONE', status: 410 });
    await expect(watch('garbage')).rejects.toMatchObject({ code: 'SKIFF_KUBE_BAD_RESPONSE' });
    const marks: string[] = [];
    const cut = k.watch(CONFIGMAPS, 'ns', 'cut', (e) => e.type === 'BOOKMARK' && marks.push(e.resourceVersion), signal);
    await expect(cut).rejects.toMatchObject({ code: 'SKIFF_KUBE_UNAVAILABLE' });
    expect(marks).toEqual(['9']);
  });

  it('rejects with the abort reason when the caller aborts a watch', async () => {
    const abort = new AbortController();
    const watching = kube().watch(CONFIGMAPS, 'ns', 'silent', () => {}, abort.signal);
    abort.abort(new Error('stopping'));
    await expect(watching).rejects.toThrow('stopping');
  });
});
