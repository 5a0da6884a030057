/**
 * `wasmcloud:secrets` through a real guest (test/fixtures/secrets-js) on a library host with
 * the in-memory plugins: values from the start's Secrets (and the grant's other layers),
 * handles revealed on request, deny-all, values out of the logs, and zeroed when the
 * workload stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostInterface, Workload } from '../../src/api/index.js';
import { memoryPlugins } from '../../src/runtime/plugins/index.js';
import { ConfigSources } from '../../src/runtime/sources.js';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, startTestHost, type TestHost, workload } from '../support/host.js';

const PASSWORD = 'hunter2-must-never-be-logged';
const CERT = Uint8Array.from([0xde, 0xad, 0x00, 0xff]);
const SECRETS_GRANT: HostInterface = {
  namespace: 'wasmcloud',
  package: 'secrets',
  interfaces: ['store', 'reveal'],
  version: '1.0.0',
  config: { region: 'eu-literal' },
  secretFrom: [{ name: 'db' }],
};

let t: TestHost;
let wasm: string;
beforeAll(async () => {
  wasm = await fixturePath('secrets-js');
  t = await startTestHost({ plugins: memoryPlugins(), logLevel: 'debug' });
});
afterAll(async () => {
  await t?.stop();
});

function app(grants: HostInterface[] = [SECRETS_GRANT], name = 'vault'): Workload {
  return workload(name, [{ name: 'web', image: `file://${wasm}` }], [HTTP_GRANT, ...grants]);
}

/** dbSecret is what a start brings: the Secret `db`, as the control protocol would decode it. */
function dbSecret(): ConfigSources {
  return new ConfigSources().add(
    'Secret',
    'db',
    new Map([
      ['password', new TextEncoder().encode(PASSWORD)],
      ['cert', Uint8Array.from(CERT)],
    ]),
  );
}

async function getJson(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await t.request(path);
  return { status: res.status, body: JSON.parse(res.text) as Record<string, unknown> };
}

describe('wasmcloud:secrets on a host', () => {
  it('reveals values from the Secret and the grant config, as text or bytes, and 404s unknown keys', async () => {
    const brought = dbSecret();
    const password = brought.get('Secret', 'db', false)!.get('password')!;
    await t.host.workloadStart(app(), { sources: async () => brought });
    // The host zeroes the start's decoded sources once the workload has its own copy.
    expect(password.every((b) => b === 0)).toBe(true);
    expect(await getJson('/handles?keys=password,cert,region')).toEqual({ status: 200, body: { handles: 3 } });
    expect(await getJson('/reveal?key=password')).toEqual({
      status: 200,
      body: { key: 'password', tag: 'string', value: PASSWORD },
    });
    expect(await getJson('/reveal?key=region')).toEqual({
      status: 200,
      body: { key: 'region', tag: 'string', value: 'eu-literal' },
    });
    expect(await getJson('/reveal?key=cert')).toEqual({
      status: 200,
      body: { key: 'cert', tag: 'bytes', hex: 'dead00ff' },
    });
    expect(await getJson('/reveal?key=nope')).toEqual({ status: 404, body: { error: 'not-found', key: 'nope' } });
    expect(await getJson('/handles?keys=password,cert,region')).toEqual({ status: 200, body: { handles: 3 } });
    // Revealing is audited by key at debug level; no log record holds a value.
    expect(t.logs).toContainEqual(expect.objectContaining({ key: 'password', msg: 'secret revealed' }));
    expect(JSON.stringify(t.logs)).not.toContain(PASSWORD);
  });

  it('zeroes the values when the workload stops', async () => {
    const running = t.host.running().find((w) => w.id === 'default/vault')!;
    const held = running.secrets!.forGrant(SECRETS_GRANT).get('password')!;
    expect(new TextDecoder().decode(held)).toBe(PASSWORD);
    await t.host.workloadStop('default/vault');
    expect(held.every((b) => b === 0)).toBe(true);
    expect(running.secrets!.wiped).toBe(true);
  });

  it('refuses a component importing wasmcloud:secrets without a grant, or without reveal granted', async () => {
    await expect(t.host.workloadStart(app([], 'ungranted'))).rejects.toMatchObject({
      code: 'SKIFF_NOT_GRANTED',
      message: expect.stringContaining('wasmcloud:secrets/store@1.0.0 (not granted'),
    });
    const storeOnly = { ...SECRETS_GRANT, interfaces: ['store'] };
    await expect(
      t.host.workloadStart(app([storeOnly], 'store-only'), { sources: async () => dbSecret() }),
    ).rejects.toThrow(/wasmcloud:secrets\/reveal@1\.0\.0 \(not granted/);
  });

  it('refuses a start whose Secret is missing, naming the Secret and never a value', async () => {
    const err = await t.host
      .workloadStart(app(undefined, 'missing'), {
        sources: async () => new ConfigSources().add('Secret', 'db', null),
      })
      .then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      );
    expect(err).toMatchObject({ code: 'SKIFF_CONFIG_NOT_FOUND', message: 'Secret db does not exist' });
    expect(t.host.workloadStatus('default/missing')).toMatchObject({ state: 'Failed', reason: 'ConfigNotFound' });
  });
});
