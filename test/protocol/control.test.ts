/**
 * The control protocol end to end: a real host answers start / stop / status over a real
 * nats-server, and the hello-js guest it starts serves HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlError } from '../../src/nats/client.js';
import { encode } from '../../src/nats/codec.js';
import { hostAdminSubject, workloadSubject } from '../../src/nats/subjects.js';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, workload } from '../support/host.js';
import { useNats } from '../support/nats.js';
import { type ControlledTestHost, helloWorkload, startControlledHost } from './helpers.js';

const nats = useNats();
let h: ControlledTestHost;
beforeAll(async () => {
  h = await startControlledHost(nats().url, { id: 'control-1', heartbeatSeconds: 1 });
});
afterAll(async () => {
  await h?.stop();
});

describe('start / status / stop over NATS', () => {
  it('starts hello-js on request; it serves HTTP 200', async () => {
    const report = await h.client.start('control-1', await helloWorkload('hello'));
    expect(report).toMatchObject({ id: 'default/hello', uid: 'uid-hello', generation: 1, state: 'Running' });
    expect(report.components).toEqual([{ name: 'web', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) }]);
    expect(await h.t.request('/')).toEqual({ status: 200, text: 'hello from skiff' });
  });

  it('reports status for one workload and for all', async () => {
    const [one] = await h.client.status('control-1', 'default/hello');
    expect(one).toMatchObject({ id: 'default/hello', state: 'Running', generation: 1 });
    const all = await h.client.status('control-1');
    expect(all.map((w) => w.id)).toEqual(['default/hello']);
  });

  it('is idempotent by uid + generation: the same start returns the same report and restarts nothing', async () => {
    const before = h.t.host.running()[0];
    const w = await helloWorkload('hello');
    const [a, b] = await Promise.all([h.client.start('control-1', w), h.client.start('control-1', w)]);
    const c = await h.client.start('control-1', w);
    expect(a).toEqual(b);
    expect(c).toEqual(a);
    expect(h.t.host.running()).toHaveLength(1);
    expect(h.t.host.running()[0]).toBe(before);
  });

  it('replaces a running generation with a newer one without failing a request', async () => {
    const before = h.t.host.running()[0];
    let swapped = false;
    const statuses: number[] = [];
    const loop = async () => {
      // Bounded: runs until the swap is done plus 20 more requests, or 2,000 in all.
      for (let after = 0; after < 20 && statuses.length < 2_000; ) {
        statuses.push((await h.t.request('/')).status);
        if (swapped) after++;
      }
    };
    const loops = Promise.all([loop(), loop(), loop(), loop()]);
    const report = await h.client.start('control-1', await helloWorkload('hello', 2));
    swapped = true;
    await loops;
    expect(report).toMatchObject({ id: 'default/hello', generation: 2, state: 'Running' });
    expect(statuses.length).toBeGreaterThan(80);
    // The old generation finishes the requests it took before it stops: none fails.
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(h.t.host.running()).toHaveLength(1);
    expect(h.t.host.running()[0]).not.toBe(before);
  });

  it('stops a workload; status then answers not found', async () => {
    await h.client.stop('control-1', 'default/hello');
    await expect(h.client.status('control-1', 'default/hello')).rejects.toMatchObject({
      code: 'SKIFF_WORKLOAD_NOT_FOUND',
      message: 'no workload default/hello on this host',
    });
    expect(h.t.host.list()).toEqual([]);
    expect((await h.t.request('/')).status).not.toBe(200);
  });

  it('says when a host does not exist', async () => {
    const err = await h.client.status('no-such-host').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlError);
    expect(err).toMatchObject({
      code: 'SKIFF_HOST_UNREACHABLE',
      message: 'host no-such-host is not connected (no responders)',
    });
  });
});

describe('bad messages get an error reply and change nothing', () => {
  let running: unknown;
  beforeAll(async () => {
    await h.client.start('control-1', await helloWorkload('keeper'));
    running = h.t.host.running()[0];
  });

  const cases: [string, 'start' | 'stop' | 'status' | 'cordon', Uint8Array, RegExp][] = [
    ['not JSON', 'start', new TextEncoder().encode('{nope'), /start request is not JSON/],
    ['no workload', 'start', encode({ baseDir: '/tmp' }), /invalid start request: workload: /],
    [
      'a workload without components',
      'start',
      encode({
        workload: { apiVersion: 'runtime.skiff.dev/v1alpha1', kind: 'Workload', metadata: { name: 'x' }, spec: {} },
      }),
      /workload\.spec\.components/,
    ],
    ['an unknown field', 'stop', encode({ id: 'default/keeper', force: true }), /invalid stop request: .*force/],
    ['an empty uid', 'stop', encode({ id: 'default/keeper', uid: '' }), /invalid stop request: uid/],
    ['a malformed id', 'stop', encode({ id: 'keeper' }), /invalid stop request: id: must be namespace\/name/],
    ['an array', 'status', encode([1, 2]), /invalid status request/],
    ['a body on cordon', 'cordon', encode({ cordoned: true }), /invalid cordon request: .*cordoned/],
  ];
  it.each(cases)('%s on %s', async (_name, verb, data, message) => {
    const subject = verb === 'cordon' ? hostAdminSubject('control-1', verb) : workloadSubject('control-1', verb);
    const reply = await h.client.requestRaw(subject, data);
    expect(reply).toMatchObject({
      ok: false,
      error: { code: 'SKIFF_BAD_MESSAGE', message: expect.stringMatching(message) },
    });
    expect(h.t.host.list().map((w) => w.id)).toEqual(['default/keeper']);
    expect(h.t.host.running()[0]).toBe(running);
    expect(h.control.cordoned).toBe(false);
  });

  it('an unknown verb', async () => {
    const reply = await h.client.requestRaw('skiff.host.control-1.workload.explode', encode({}));
    expect(reply).toEqual({ ok: false, error: { code: 'SKIFF_BAD_MESSAGE', message: 'unknown request "explode"' } });
    const admin = await h.client.requestRaw('skiff.host.control-1.admin.drain', encode({}));
    expect(admin).toEqual({ ok: false, error: { code: 'SKIFF_BAD_MESSAGE', message: 'unknown request "drain"' } });
  });

  it('status of an unknown workload is an error; a stop of one is done already', async () => {
    const status = await h.client.requestRaw(workloadSubject('control-1', 'status'), encode({ id: 'default/ghost' }));
    expect(status).toEqual({
      ok: false,
      error: { code: 'SKIFF_WORKLOAD_NOT_FOUND', message: 'no workload default/ghost on this host' },
    });
    for (const body of [{ id: 'default/ghost' }, { id: 'default/ghost', uid: 'any' }]) {
      const stop = await h.client.requestRaw(workloadSubject('control-1', 'stop'), encode(body));
      expect(stop).toEqual({ ok: true, id: 'default/ghost', absent: true });
    }
    expect(await h.client.stop('control-1', 'default/ghost')).toEqual({ absent: true });
    expect(h.t.host.list().map((w) => w.id)).toEqual(['default/keeper']);
  });

  it('a start that fails says why and leaves the others serving', async () => {
    const bad = await fixturePath('broken-not-wasm');
    const w = workload('broken', [{ name: 'web', image: `file://${bad}` }], [HTTP_GRANT]);
    const err = await h.client.start('control-1', w).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'SKIFF_INVALID_COMPONENT',
      message: expect.stringMatching(/not a WebAssembly binary/),
    });
    const [status] = await h.client.status('control-1', 'default/broken');
    expect(status).toMatchObject({ state: 'Failed', reason: 'InvalidComponent' });
    expect(h.t.host.running()[0]).toBe(running);
    expect(await h.t.request('/')).toEqual({ status: 200, text: 'hello from skiff' });
  });
});
