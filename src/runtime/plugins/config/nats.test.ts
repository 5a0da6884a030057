import { describe, expect, it } from 'vitest';
import { useNats, useNatsConnections } from '../../../../test/support/nats.js';
import { waitFor } from '../../../../test/support/wait.js';
import { bindFor, fn } from '../testing.js';
import { configContract } from './contract.js';
import { CONFIG_STORE, configPlugin } from './index.js';
import { CONFIG_BUCKET, configKey, natsConfigBackend } from './nats.js';

const server = useNats();
const connection = useNatsConnections(server);
const GRANT = { namespace: 'wasi', package: 'config', interfaces: ['store'], version: '0.2.0-rc.1' };

configContract('nats', async () => {
  const backend = natsConfigBackend(await connection());
  return {
    backend,
    set: (ref, key, value) => (value === undefined ? backend.unset(ref, key) : backend.set(ref, key, value)),
  };
});

describe('wasi:config on NATS', () => {
  it('loads overrides written before the workload starts, and follows writes by another client', async () => {
    const ref = { namespace: 'shop', workload: 'web.v2', component: 'main' };
    const operator = natsConfigBackend(await connection());
    await operator.set(ref, 'odd.key with spaces', 'before');
    const backend = natsConfigBackend(await connection());
    const b = await bindFor(configPlugin({ backend }), {
      namespace: 'shop',
      name: 'web.v2',
      grants: [GRANT],
      component: { name: 'main', config: { mode: 'prod' } },
    });
    expect(await fn(b, CONFIG_STORE, 'get')('odd.key with spaces')).toBe('before');
    const kv = await operator.bucket();
    expect((await kv.status()).bucket).toBe(CONFIG_BUCKET);
    await kv.put(configKey(ref, 'mode'), 'canary');
    await waitFor('the override', async () => (await fn(b, CONFIG_STORE, 'get')('mode')) === 'canary', 5000);
    expect(configKey(ref, 'odd.key with spaces')).toBe('shop.web=2Ev2.main.odd=2Ekey=20with=20spaces');
  });

  it('serves the watched copy during a NATS restart and follows changes made after it', async () => {
    const ref = { namespace: 'ns', workload: 'wl', component: 'main' };
    const backend = natsConfigBackend(await connection());
    const b = await bindFor(configPlugin({ backend }), {
      namespace: 'ns',
      name: 'wl',
      grants: [GRANT],
      component: { name: 'main' },
    });
    await backend.set(ref, 'level', 'one');
    await waitFor('the first value', async () => (await fn(b, CONFIG_STORE, 'get')('level')) === 'one', 5000);
    await server().down();
    expect(await fn(b, CONFIG_STORE, 'get')('level')).toBe('one');
    await server().up();
    await waitFor(
      'a write after the restart',
      async () =>
        backend.set(ref, 'level', 'two').then(
          () => true,
          () => false,
        ),
      20_000,
    );
    await waitFor('the value written after the restart', async () => (await fn(b, CONFIG_STORE, 'get')('level')) === 'two', 20_000);
  });
});

