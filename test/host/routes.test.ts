/**
 * Virtual hosts belong to one workload: a workload in another namespace (or with another
 * name) that claims a host name already served is refused with SKIFF_ROUTE_TAKEN naming the
 * owner, and the owner keeps its traffic. The same workload may claim it again (new generation).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workload } from '../../src/api/index.js';
import { VirtualHostRouter } from '../../src/runtime/http/routers.js';
import { fixturePath } from '../support/fixtures.js';
import { startTestHost, type TestHost, workload } from '../support/host.js';

let t: TestHost;
let hello: string;

const http = (host: string) => ({
  namespace: 'wasi',
  package: 'http',
  interfaces: ['incoming-handler'],
  config: { host },
});

function claim(namespace: string, name: string, host: string, image = hello, generation = 1): Workload {
  const w = workload(name, [{ name: 'web', image: `file://${image}` }], [http(host)], { namespace });
  w.metadata.uid = `uid-${namespace}-${name}`;
  w.metadata.generation = generation;
  return w;
}

beforeAll(async () => {
  hello = await fixturePath('hello-js');
  t = await startTestHost({ router: new VirtualHostRouter() });
  await t.host.workloadStart(claim('team-a', 'hello', 'hello.localhost'));
});
afterAll(async () => {
  await t?.stop();
});

describe('virtual host ownership', () => {
  it('refuses a workload of another namespace claiming a served host, naming the owner', async () => {
    await expect(t.host.workloadStart(claim('team-b', 'hello', 'Hello.Localhost'))).rejects.toMatchObject({
      code: 'SKIFF_ROUTE_TAKEN',
      message: expect.stringContaining('team-a/hello'),
    });
    expect(t.host.workloadStatus('team-b/hello')).toMatchObject({ state: 'Failed', reason: 'RouteConflict' });
    expect(await t.request('/', { host: 'hello.localhost' })).toEqual({ status: 200, text: 'hello from skiff' });
  });

  it('refuses another workload of the same namespace too', async () => {
    await expect(t.host.workloadStart(claim('team-a', 'other', 'hello.localhost'))).rejects.toMatchObject({
      code: 'SKIFF_ROUTE_TAKEN',
    });
  });

  it('refuses the second of two concurrent starts claiming one new host', async () => {
    const results = await Promise.allSettled([
      t.host.workloadStart(claim('team-c', 'one', 'race.localhost')),
      t.host.workloadStart(claim('team-d', 'two', 'race.localhost')),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'SKIFF_ROUTE_TAKEN' } });
  });

  it('lets the owner start a new generation on the same host', async () => {
    await expect(t.host.workloadStart(claim('team-a', 'hello', 'hello.localhost', hello, 2))).resolves.toMatchObject({
      state: 'Running',
      generation: 2,
    });
  });

  it('frees the host when its owner stops', async () => {
    await t.host.workloadStop('team-a/hello');
    await expect(t.host.workloadStart(claim('team-b', 'hello', 'hello.localhost'))).resolves.toMatchObject({
      state: 'Running',
    });
    expect(await t.request('/', { host: 'hello.localhost' })).toEqual({ status: 200, text: 'hello from skiff' });
  });
});
