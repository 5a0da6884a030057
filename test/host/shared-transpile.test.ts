/**
 * Transpile output shared between hosts through a NATS Object Store (docs/adr/0016): a host
 * that never saw a component takes another host's signed bundle instead of running jco,
 * and refuses bundles it cannot verify (another secret, damaged bytes), transpiling itself.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBundle } from '../../src/runtime/engine/bundle.js';
import { natsTranspileStore, type TranspileStore } from '../../src/runtime/engine/shared-store.js';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, startTestHost, type TestHost, workload } from '../support/host.js';
import { connectTest, startNats, type TestNatsServer } from '../support/nats.js';
import { waitFor } from '../support/wait.js';

const SECRET = new TextEncoder().encode('the secret every host of this cluster holds');
let server: TestNatsServer;
let nc: NatsConnection;
let store: TranspileStore;
let wasm: string;
const hosts: TestHost[] = [];

/** freshHost starts a host with an empty transpile cache of its own, sharing through `store` under `secret`. */
async function freshHost(secret = SECRET, shared = store): Promise<TestHost> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'skiff-shared-cache-'));
  const t = await startTestHost({ engine: { cacheDir, shared: { store: shared, secret } } });
  hosts.push(t);
  return t;
}

const hello = () => workload('hello', [{ name: 'web', image: `file://${wasm}` }], [HTTP_GRANT]);
const logged = (t: TestHost, msg: string) => t.logs.some((l) => l.msg === msg);

/** sharedKey is the cache key of the bundle a host logged it shared. */
function sharedKey(t: TestHost): string {
  const record = t.logs.find((l) => l.msg === 'transpiled component shared');
  if (!record) throw new Error('nothing was shared');
  return String(record.key);
}

beforeAll(async () => {
  [server, wasm] = await Promise.all([startNats(), fixturePath('hello-js')]);
  nc = await connectTest(server);
  store = natsTranspileStore(nc);
});
afterAll(async () => {
  await Promise.all(hosts.map((t) => t.stop()));
  await nc?.close();
  await server?.stop();
});

describe('transpile output shared between hosts', () => {
  it('lets a second host start without transpiling', async () => {
    const first = await freshHost();
    first.logs.length = 0;
    await first.host.workloadStart(hello());
    expect(logged(first, 'transpiled component')).toBe(true);
    await waitFor('the first host to share its transpile', () => logged(first, 'transpiled component shared'));

    const second = await freshHost();
    await second.host.workloadStart(hello());
    expect(logged(second, 'transpiled component taken from the shared store')).toBe(true);
    expect(logged(second, 'transpiled component')).toBe(false);
    expect(await second.request('/')).toEqual({ status: 200, text: 'hello from skiff' });
  });

  it('refuses a damaged bundle and transpiles itself', async () => {
    const first = hosts[0]!;
    const key = sharedKey(first);
    const bundle = await store.get(key);
    expect(bundle).toBeDefined();
    expect(Object.keys(openBundle(key, bundle!, SECRET)).length).toBeGreaterThan(0); // intact before the damage
    const damaged = bundle!.slice();
    damaged[Math.floor(damaged.length / 2)]! ^= 0xff;
    // A private store holding only the damaged copy, so the other tests' bundle stays intact.
    const bucket = `skiff-transpiled-damaged-${process.pid}`;
    const private_ = natsTranspileStore(nc, { bucket });
    await private_.put(key, damaged);
    const victim = await freshHost(SECRET, private_);
    await victim.host.workloadStart(hello());
    const refused = victim.logs.find((l) => l.msg === 'shared transpile unusable; transpiling here');
    expect(String(refused?.err)).toMatch(/signature does not verify/);
    expect(await victim.request('/')).toEqual({ status: 200, text: 'hello from skiff' });
  });

  it('refuses a bundle signed with another secret and transpiles itself', async () => {
    const stranger = await freshHost(new TextEncoder().encode('a different secret, also long enough'));
    await stranger.host.workloadStart(hello());
    const refused = stranger.logs.find((l) => l.msg === 'shared transpile unusable; transpiling here');
    expect(String(refused?.err)).toMatch(/signature does not verify/);
    expect(logged(stranger, 'transpiled component')).toBe(true);
    expect(await stranger.request('/')).toEqual({ status: 200, text: 'hello from skiff' });
    // The stranger replaces the shared bundle with its own (signed with its secret): wait for it
    // so no read of the key races the replacement.
    await waitFor('the stranger to share its transpile', () => logged(stranger, 'transpiled component shared'));
  });
});
