/**
 * HTTP at the edge, as RFC 9112 and an anonymous client see it: an absolute-form target
 * wins over the Host header (for routing and for what the guest sees), two Host headers
 * are a 400, a client that hangs up is not a host error, and 5xx answers say nothing about
 * the workload or the guest (the log has the details).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualHostRouter } from '../../src/runtime/http/routers.js';
import { memoryPlugins } from '../../src/runtime/plugins/index.js';
import { waitFor } from '../support/wait.js';
import { fixturePath } from '../support/fixtures.js';
import { startTestHost, type TestHost, workload } from '../support/host.js';

let t: TestHost;
let port: number;

const GRANTS = [
  { namespace: 'wasi', package: 'keyvalue', interfaces: ['store', 'atomics', 'batch'] },
  { namespace: 'wasi', package: 'blobstore', interfaces: ['blobstore'] },
  { namespace: 'wasi', package: 'config', interfaces: ['store'] },
  { namespace: 'wasi', package: 'logging', interfaces: ['logging'] },
  { namespace: 'wasmcloud', package: 'messaging', interfaces: ['consumer', 'handler'] },
];
const http = (host: string) => ({
  namespace: 'wasi',
  package: 'http',
  interfaces: ['incoming-handler'],
  config: { host },
});

beforeAll(async () => {
  t = await startTestHost({ plugins: memoryPlugins(), router: new VirtualHostRouter(), logLevel: 'debug' });
  port = Number(new URL(t.url).port);
  const sink = `file://${await fixturePath('kitchen-sink')}`;
  const hello = `file://${await fixturePath('hello-js')}`;
  await t.host.workloadStart(workload('sink', [{ name: 'web', image: sink }], [...GRANTS, http('sink.test')]));
  await t.host.workloadStart(workload('hello', [{ name: 'web', image: hello }], [http('hello.test')]));
});
afterAll(async () => {
  await t?.stop();
});

/** raw sends bytes as they are and returns the status and body of the answer. */
function raw(request: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.on('data', (d) => {
      text += d;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

describe('HTTP edge cases', () => {
  it('routes an absolute-form target by its authority, and the guest sees that authority and path', async () => {
    const res = await raw(
      'GET http://sink.test:8080/info?x=1 HTTP/1.1\r\nHost: hello.test\r\nConnection: close\r\n\r\n',
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      authority: 'sink.test:8080',
      pathWithQuery: '/info?x=1',
      path: '/info',
    });
  });

  it('answers 400 to a request with two Host headers', async () => {
    const res = await raw('GET /info HTTP/1.1\r\nHost: sink.test\r\nHost: hello.test\r\nConnection: close\r\n\r\n');
    expect(res.status).toBe(400);
  });

  it('answers 400 to a target that is neither origin- nor absolute-form', async () => {
    const res = await raw('GET sink.test:80 HTTP/1.1\r\nHost: sink.test\r\nConnection: close\r\n\r\n');
    expect(res.status).toBe(400);
  });

  it('answers a trap with a plain 500 and logs the details', async () => {
    const res = await t.request('/trap', { host: 'sink.test' });
    expect(res).toEqual({ status: 500, text: 'internal server error\n' });
    const record = await waitFor('the failed request in the log', () =>
      t.logs.find((l) => l.msg === 'request failed' && String(l.err).includes('guest trapped')),
    );
    expect(record).toMatchObject({ workload: 'default/sink' });
  });

  it('logs a client that hangs up mid-body at debug level, not as a host error', async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('POST /echo HTTP/1.1\r\nHost: sink.test\r\nContent-Length: 1000\r\n\r\n0123456789', () => {
          socket.destroy();
          resolve();
        });
      });
      socket.on('error', reject);
    });
    await waitFor('the hang-up in the log', () => t.logs.find((l) => l.msg === 'client closed the request'));
    expect(t.logs.find((l) => l.msg === 'client closed the request')).toMatchObject({ level: 20 });
    expect(t.logs.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });
});
