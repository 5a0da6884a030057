/**
 * `wasmcloud:secrets` on a host driven over the control protocol (a real nats-server): the
 * Secret comes with the start request inline or sealed in the Object Store (ADR 0016), the
 * guest reveals it, and it appears in no reply and no host log record (debug), and the host's
 * copy is zeroed when the workload stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Source, Workload } from '../../src/api/index.js';
import { putSealed, seal } from '../../src/nats/sources.js';
import { memoryPlugins } from '../../src/runtime/plugins/index.js';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, workload } from '../support/host.js';
import { useNats } from '../support/nats.js';
import { type ControlledTestHost, startControlledHost } from './helpers.js';

const PASSWORD = 'nats-carried-p4ssword-never-logged';
const GRANT = {
  namespace: 'wasmcloud',
  package: 'secrets',
  interfaces: ['store', 'reveal'],
  version: '1.0.0',
  secretFrom: [{ name: 'db' }],
};
const nats = useNats();
let h: ControlledTestHost;
beforeAll(async () => {
  h = await startControlledHost(nats().url, { id: 'secrets-1', plugins: memoryPlugins(), logLevel: 'debug' });
});
afterAll(async () => {
  await h?.stop();
});

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');

async function vault(): Promise<Workload> {
  const w = workload(
    'vault',
    [{ name: 'web', image: `file://${await fixturePath('secrets-js')}` }],
    [HTTP_GRANT, GRANT],
  );
  w.metadata.uid = 'uid-vault';
  return w;
}

async function reveal(key: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await h.t.request(`/reveal?key=${key}`);
  return { status: res.status, body: JSON.parse(res.text) as Record<string, unknown> };
}

describe('wasmcloud:secrets over the control protocol', () => {
  it('is announced in heartbeats, so the scheduler places secrets workloads on the host', async () => {
    const [hb] = (await h.client.ping(500)).filter((b) => b.hostId === 'secrets-1');
    expect(hb?.interfaces).toEqual(
      expect.arrayContaining(['wasmcloud:secrets/store@1.0.0', 'wasmcloud:secrets/reveal@1.0.0']),
    );
  });

  it('refuses the start when the request did not bring the Secret, naming it', async () => {
    await expect(h.client.start('secrets-1', await vault())).rejects.toMatchObject({
      code: 'SKIFF_CONFIG_NOT_FOUND',
      message: expect.stringContaining('Secret db was not sent with the start'),
    });
    await h.client.stop('secrets-1', 'default/vault');
  });

  it('reveals a Secret the start brought inline', async () => {
    const sources: Source[] = [{ kind: 'Secret', name: 'db', data: { password: b64(PASSWORD) } }];
    const report = await h.client.start('secrets-1', await vault(), undefined, { revision: 'r1', sources });
    expect(report).toMatchObject({ state: 'Running', revision: 'r1' });
    expect(await reveal('password')).toEqual({
      status: 200,
      body: { key: 'password', tag: 'string', value: PASSWORD },
    });
    expect(await reveal('missing')).toEqual({ status: 404, body: { error: 'not-found', key: 'missing' } });
  });

  it('reveals a Secret sealed in the Object Store, and zeroes the replaced revision', async () => {
    const previous = h.t.host.running().find((w) => w.id === 'default/vault')!;
    const held = previous.secrets!.forGrant(GRANT).get('password')!;
    const big = `${PASSWORD}-${'x'.repeat(64 * 1024)}`;
    const sealed = seal(new TextEncoder().encode(JSON.stringify({ data: { password: b64(big) } })));
    const stored = await putSealed(h.clientNc, 'default', sealed);
    const report = await h.client.start('secrets-1', await vault(), undefined, {
      revision: 'r2',
      sources: [{ kind: 'Secret', name: 'db', stored }],
    });
    expect(report).toMatchObject({ state: 'Running', revision: 'r2' });
    const revealed = await reveal('password');
    expect(revealed.body.value).toBe(big);
    // The replaced revision stopped: its copy of the value is zeroed.
    expect(held.every((b) => b === 0)).toBe(true);
  });

  it('keeps the value out of replies and logs, and zeroes it when the workload stops', async () => {
    const running = h.t.host.running().find((w) => w.id === 'default/vault')!;
    const held = running.secrets!.forGrant(GRANT).get('password')!;
    const statuses = await h.client.status('secrets-1');
    expect(JSON.stringify(statuses)).not.toContain(PASSWORD);
    await h.client.stop('secrets-1', 'default/vault', 'uid-vault');
    expect(held.every((b) => b === 0)).toBe(true);
    const logs = JSON.stringify(h.t.logs);
    expect(logs).toContain('secret revealed');
    expect(logs).not.toContain(PASSWORD);
    expect(logs).not.toContain(b64(PASSWORD));
  });
});
