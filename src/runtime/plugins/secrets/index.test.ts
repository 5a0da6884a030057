import { describe, expect, it } from 'vitest';
import type { HostInterface } from '../../../api/index.js';
import { CLOSED_MESSAGE } from '../common.js';
import { bindFor, bytes, fn, thrown } from '../testing.js';
import { SECRETS_REVEAL, SECRETS_STORE, secretsPlugin } from './index.js';

const GRANT: HostInterface = { namespace: 'wasmcloud', package: 'secrets', interfaces: ['store', 'reveal'] };
const VALUE = 'hunter2-never-logged';

function values(entries: Record<string, Uint8Array>): Map<string, Uint8Array> {
  return new Map(Object.entries(entries));
}

async function bound(entries: Record<string, Uint8Array> = { password: bytes(VALUE) }) {
  const held = values(entries);
  const b = await bindFor(secretsPlugin(), { grants: [GRANT], secretValues: () => held });
  return { b, held, get: fn(b, SECRETS_STORE, 'get'), reveal: fn(b, SECRETS_REVEAL, 'reveal') };
}

describe('wasmcloud:secrets plugin', () => {
  it('hands out an opaque handle that reveals the value as a string', async () => {
    const { b, get, reveal } = await bound();
    const handle = await get('password');
    expect(JSON.stringify(handle)).not.toContain(VALUE);
    expect(Object.values(handle)).toEqual([]);
    expect(await reveal(handle)).toEqual({ tag: 'string', val: VALUE });
    expect(JSON.stringify(b.logs)).not.toContain(VALUE);
    expect(b.logs).toContainEqual(expect.objectContaining({ key: 'password', msg: 'secret revealed' }));
  });

  it('reveals bytes that are not UTF-8 as the bytes variant', async () => {
    const raw = Uint8Array.from([0xc3, 0x28, 0x00, 0xff]);
    const { get, reveal } = await bound({ cert: raw });
    expect(await reveal(await get('cert'))).toEqual({ tag: 'bytes', val: raw });
  });

  it('answers not-found for a key that is not configured', async () => {
    const { get } = await bound();
    expect(await thrown(get('nope'))).toEqual({ tag: 'not-found' });
  });

  it('refuses a handle it did not issue by trapping (reveal has no error case)', async () => {
    const { b, reveal } = await bound();
    const Secret = b.binding.imports[SECRETS_STORE]!.Secret as new () => object;
    expect(await thrown(reveal(new Secret()))).toBeInstanceOf(TypeError);
  });

  it('after stop: get fails with io, reveal traps, and the host-owned values are gone', async () => {
    const { b, held, get, reveal } = await bound();
    const handle = await get('password');
    await b.stop();
    for (const v of held.values()) v.fill(0);
    held.clear();
    expect(await thrown(get('password'))).toEqual({ tag: 'io', val: CLOSED_MESSAGE });
    const err = (await thrown(reveal(handle))) as Error;
    expect(err.message).toContain('"password"');
    expect(err.message).not.toContain(VALUE);
  });

  it('binds only the granted interfaces', async () => {
    const b = await bindFor(secretsPlugin(), { grants: [{ ...GRANT, interfaces: ['store'] }] });
    expect(Object.keys(b.binding.imports)).toEqual([SECRETS_STORE]);
  });

  it('refuses a component whose two grants set the same key, naming the key', async () => {
    const other: HostInterface = { ...GRANT, version: '1.0.0' };
    const held = values({ password: bytes(VALUE) });
    const err = await thrown(
      (async () => bindFor(secretsPlugin(), { grants: [GRANT, other], secretValues: () => held }))(),
    );
    expect(err).toMatchObject({ code: 'SKIFF_SECRET_CONFLICT', message: expect.stringContaining('"password"') });
    expect((err as Error).message).not.toContain(VALUE);
  });
});
