/**
 * Stops: the uid precondition (a stale stop never kills a recreated workload), idempotent
 * stops, and a stop that arrives while the workload's start is still fetching its component
 * (held by a registry the test controls): it runs after the start, and nothing is left over.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Workload } from '../../src/api/index.js';
import { ociSource } from '../../src/runtime/oci/index.js';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, workload } from '../support/host.js';
import { useNats } from '../support/nats.js';
import { type ControlledTestHost, helloWorkload, startControlledHost } from './helpers.js';
import { type SlowRegistry, startSlowRegistry } from './slow-registry.js';

const nats = useNats();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function host(id: string): Promise<ControlledTestHost> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'skiff-slow-cache-'));
  const h = await startControlledHost(nats().url, { id, sources: [ociSource({ cacheDir })], heartbeatSeconds: 60 });
  cleanup.push(() => h.stop());
  return h;
}

async function registry(): Promise<SlowRegistry> {
  const reg = await startSlowRegistry(new Uint8Array(readFileSync(await fixturePath('hello-js'))));
  cleanup.push(() => reg.close());
  return reg;
}

function slowWorkload(reg: SlowRegistry, uid: string, generation = 1): Workload {
  const w = workload('slow', [{ name: 'web', image: reg.reference }], [HTTP_GRANT]);
  w.metadata.uid = uid;
  w.metadata.generation = generation;
  return w;
}

/**
 * settledAfterRoundTrip says whether `p` has settled once the host answered two later
 * requests on the same connection: by then it has received what was sent before, and any
 * reply it sent earlier has been processed.
 */
async function settledAfterRoundTrip(h: ControlledTestHost, hostId: string, p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await h.client.status(hostId);
  await h.client.status(hostId);
  return done;
}

describe('the uid precondition', () => {
  it('a stop naming another uid is refused and changes nothing; the right uid stops', async () => {
    const h = await host('uid-1');
    await h.client.start('uid-1', await helloWorkload('web', 1, 'uid-new'));
    const err = await h.client.stop('uid-1', 'default/web', 'uid-old').catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'SKIFF_UID_MISMATCH',
      message: 'workload default/web is uid uid-new, not uid-old: not stopped',
    });
    expect(h.t.host.list()).toMatchObject([{ id: 'default/web', uid: 'uid-new', state: 'Running' }]);
    expect(await h.t.request('/')).toEqual({ status: 200, text: 'hello from skiff' });
    expect(await h.client.stop('uid-1', 'default/web', 'uid-new')).toEqual({ absent: false });
    expect(h.t.host.list()).toEqual([]);
    expect(await h.client.stop('uid-1', 'default/web', 'uid-new')).toEqual({ absent: true });
  });
});

describe('a stop while the start is still running', () => {
  it('runs after the start completes; the workload is gone afterwards and nothing keeps serving', async () => {
    const reg = await registry();
    const h = await host('slow-1');
    const starting = h.client.start('slow-1', slowWorkload(reg, 'uid-a'));
    await reg.layerRequested;
    expect(h.t.host.list()).toMatchObject([{ id: 'default/slow', state: 'Starting' }]);
    const stopping = h.client.stop('slow-1', 'default/slow', 'uid-a');
    // The host has received the stop (a later request was answered), and it waits for the start.
    expect(await settledAfterRoundTrip(h, 'slow-1', stopping)).toBe(false);
    reg.release();
    expect(await starting).toMatchObject({ id: 'default/slow', uid: 'uid-a', state: 'Running' });
    expect(await stopping).toEqual({ absent: false });
    expect(h.t.host.list()).toEqual([]);
    expect(h.t.host.running()).toEqual([]);
    expect((await h.t.request('/')).status).not.toBe(200);
    expect(h.control.heartbeat().workloads).toEqual([]);
  });

  it('start, stop, then the same start again: the last request wins and the workload runs', async () => {
    const reg = await registry();
    const h = await host('slow-2');
    const first = h.client.start('slow-2', slowWorkload(reg, 'uid-b'));
    await reg.layerRequested;
    const stopping = h.client.stop('slow-2', 'default/slow', 'uid-b');
    // A retry of the first start, sent after the stop, must not join the start the stop will undo.
    const again = h.client.start('slow-2', slowWorkload(reg, 'uid-b'));
    expect(await settledAfterRoundTrip(h, 'slow-2', again)).toBe(false);
    reg.release();
    await first;
    expect(await stopping).toEqual({ absent: false });
    expect(await again).toMatchObject({ uid: 'uid-b', generation: 1, state: 'Running' });
    expect(h.t.host.list()).toMatchObject([{ id: 'default/slow', uid: 'uid-b', state: 'Running' }]);
    expect(await h.t.request('/')).toEqual({ status: 200, text: 'hello from skiff' });
  });

  it('a stale stop of the old incarnation, arriving during the start of a recreated one, leaves the new one running', async () => {
    const reg = await registry();
    const h = await host('slow-3');
    const old = await helloWorkload('slow', 1, 'uid-old');
    await h.client.start('slow-3', old);
    const recreated = h.client.start('slow-3', slowWorkload(reg, 'uid-new'));
    await reg.layerRequested;
    const stale = h.client.stop('slow-3', 'default/slow', 'uid-old').catch((e: unknown) => e);
    expect(await settledAfterRoundTrip(h, 'slow-3', stale)).toBe(false);
    reg.release();
    expect(await recreated).toMatchObject({ uid: 'uid-new', state: 'Running' });
    expect(await stale).toMatchObject({ code: 'SKIFF_UID_MISMATCH' });
    expect(h.t.host.list()).toMatchObject([{ id: 'default/slow', uid: 'uid-new', state: 'Running' }]);
    expect(await h.t.request('/')).toEqual({ status: 200, text: 'hello from skiff' });
  });
});
