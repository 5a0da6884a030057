/**
 * The engine end to end: real components built from test/fixtures, served over HTTP by a
 * real host; bad inputs refused with clear errors while other workloads keep serving.
 */
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, startTestHost, type TestHost, workload } from '../support/host.js';

let t: TestHost;
beforeAll(async () => {
  t = await startTestHost();
});
afterAll(async () => {
  await t?.stop();
});

describe('serving components', () => {
  it('serves a JS guest over HTTP', async () => {
    const wasm = await fixturePath('hello-js');
    await t.host.workloadStart(workload('hello-js', [{ name: 'web', image: `file://${wasm}` }], [HTTP_GRANT]));
    const res = await t.request('/');
    expect(res).toEqual({ status: 200, text: 'hello from skiff' });
  });

  it('serves a C guest built against wasi:http 0.2.0 on the same host', async () => {
    const wasm = await fixturePath('hello-c');
    await t.host.workloadStart(workload('hello-c', [{ name: 'web', image: `file://${wasm}` }], [HTTP_GRANT]));
    const res = await t.request('/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('hello from skiff');
  });

  it('is idempotent for the same uid and generation', async () => {
    const wasm = await fixturePath('hello-js');
    const w = workload('idem', [{ name: 'web', image: `file://${wasm}` }], [HTTP_GRANT]);
    w.metadata.uid = 'uid-1';
    w.metadata.generation = 3;
    const first = await t.host.workloadStart(w);
    const second = await t.host.workloadStart(w);
    expect(second).toBe(first);
    await t.host.workloadStop('default/idem');
    expect(() => t.host.workloadStatus('default/idem')).toThrow(/no workload default\/idem/);
  });

  it('serializes concurrent starts of one workload: the last generation wins, nothing leaks', async () => {
    const js = await fixturePath('hello-js');
    const c = await fixturePath('hello-c');
    const gen = (n: number, wasm: string) => {
      const w = workload('racy', [{ name: 'web', image: `file://${wasm}` }], [HTTP_GRANT]);
      w.metadata.uid = 'racy-uid';
      w.metadata.generation = n;
      return w;
    };
    const results = await Promise.all([
      t.host.workloadStart(gen(1, js)),
      t.host.workloadStart(gen(2, c)),
      t.host.workloadStart(gen(3, js)),
    ]);
    expect(results.map((r) => r.generation)).toEqual([1, 2, 3]);
    expect(t.host.workloadStatus('default/racy')).toMatchObject({ state: 'Running', generation: 3 });
    expect(t.host.list().filter((s) => s.id === 'default/racy')).toHaveLength(1);
    // A late start of an older generation is refused and changes nothing.
    await expect(t.host.workloadStart(gen(2, c))).rejects.toThrow(/generation 2 is older than the running generation 3/);
    expect(t.host.workloadStatus('default/racy')).toMatchObject({ state: 'Running', generation: 3 });
    await t.host.workloadStop('default/racy');
  });

  it('counts requests in /metrics on the admin port', async () => {
    const res = await fetch(`${t.adminUrl}/metrics`);
    const text = await res.text();
    expect(text).toMatch(/skiff_http_requests_total\{workload="default\/hello-c",code="200"\} [1-9]/);
  });
});

describe('bad components', () => {
  it.each([
    ['broken-not-wasm', /is not a WebAssembly binary/],
    ['broken-core-module', /is a core WebAssembly module, not a component/],
    ['broken-truncated', /is truncated or corrupt/],
  ] as const)('refuses %s with a clear reason and keeps serving', async (name, message) => {
    const wasm = await fixturePath(name);
    const w = workload(name, [{ name: 'bad', image: `file://${wasm}` }], [HTTP_GRANT]);
    await expect(t.host.workloadStart(w)).rejects.toThrow(message);
    const status = t.host.workloadStatus(`default/${name}`);
    expect(status.state).toBe('Failed');
    expect(status.reason).toBe('InvalidComponent');
    expect(status.message).toMatch(message);
    expect((await t.request('/')).status).toBe(200);
  });

  it.each([
    ['empty sections', [0x0a, 0x00], /section 10 at byte 8 is empty/],
    ['tiny custom sections', [0x00, 0x01, 0x00], /more than 50000 sections/],
  ])('refuses 10 MB of %s after a component header while the others keep serving', async (kind, section, message) => {
    const count = Math.floor(10_000_000 / section.length);
    const bytes = new Uint8Array(8 + section.length * count);
    bytes.set([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
    for (let i = 0; i < count; i++) bytes.set(section, 8 + i * section.length);
    const file = join(mkdtempSync(join(tmpdir(), 'skiff-crafted-')), 'crafted.wasm');
    writeFileSync(file, bytes);
    const name = `crafted-${kind.split(' ')[0]}`;
    const start = t.host.workloadStart(workload(name, [{ name: 'bad', image: `file://${file}` }], [HTTP_GRANT]));
    const [result, other] = await Promise.allSettled([start, t.request('/')]);
    expect(result).toMatchObject({ status: 'rejected', reason: { code: 'SKIFF_INVALID_COMPONENT' } });
    expect(String((result as PromiseRejectedResult).reason.message)).toMatch(message);
    expect(other).toMatchObject({ status: 'fulfilled', value: { status: 200 } });
  });

  it('refuses a component that exports nothing, saying so, instead of reporting it as serving', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'skiff-empty-')), 'empty.wasm');
    writeFileSync(file, new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]));
    const w = workload('exports-nothing', [{ name: 'idle', image: `file://${file}` }], []);
    await expect(t.host.workloadStart(w)).rejects.toMatchObject({
      code: 'SKIFF_NO_EXPORT',
      message: expect.stringMatching(/component "idle" exports nothing servable/),
    });
    expect(t.host.workloadStatus('default/exports-nothing')).toMatchObject({ state: 'Failed', reason: 'NothingToServe' });
  });

  it('refuses a missing file, naming it', async () => {
    const w = workload('missing', [{ name: 'gone', image: 'file:///nonexistent/x.wasm' }], [HTTP_GRANT]);
    await expect(t.host.workloadStart(w)).rejects.toThrow(/cannot read component .*no such file/);
    expect(t.host.workloadStatus('default/missing').reason).toBe('FetchFailed');
  });

  it('refuses a component whose digest does not match', async () => {
    const wasm = await fixturePath('hello-js');
    const w = workload(
      'wrong-digest',
      [{ name: 'web', image: `file://${wasm}`, digest: `sha256:${'0'.repeat(64)}` }],
      [HTTP_GRANT],
    );
    await expect(t.host.workloadStart(w)).rejects.toThrow(/digest mismatch: expected sha256:0000/);
    expect(t.host.workloadStatus('default/wrong-digest').reason).toBe('DigestMismatch');
  });

  it('refuses an image scheme it has no source for', async () => {
    const w = workload('oci', [{ name: 'web', image: 'ghcr.io/acme/hello:1.0' }], [HTTP_GRANT]);
    await expect(t.host.workloadStart(w)).rejects.toThrow(/no source for it/);
  });
});

describe('https sources', () => {
  it('downloads with a verified digest and refuses a mismatch', async () => {
    const { httpsSource, SourceSet } = await import('../../src/runtime/engine/source.js');
    const bytes = await readFile(await fixturePath('hello-js'));
    const server = createServer((req, res) => {
      if (req.url === '/hello.wasm') res.writeHead(200).end(bytes);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      // The same code path as https://, allowed over plain HTTP for a loopback test server.
      const sources = new SourceSet([httpsSource({ allowHttpLoopback: true })]);
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      const image = `http://127.0.0.1:${port}/hello.wasm`;
      expect((await sources.fetch({ image, digest })).digest).toBe(digest);
      await expect(sources.fetch({ image, digest: `sha256:${'1'.repeat(64)}` })).rejects.toThrow(/digest mismatch/);
      await expect(sources.fetch({ image })).rejects.toThrow(/a digest \(sha256:…\) is required/);
      await expect(sources.fetch({ image: `http://127.0.0.1:${port}/nope.wasm`, digest })).rejects.toThrow(/HTTP 404/);
      const small = new SourceSet([httpsSource({ allowHttpLoopback: true, maxBytes: 1000 })]);
      await expect(small.fetch({ image, digest })).rejects.toThrow(/larger than 1000 bytes/);
    } finally {
      server.close();
    }
  });
});
