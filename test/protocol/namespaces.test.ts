/**
 * A host that serves some namespaces announces them and refuses starts of others with
 * SKIFF_NAMESPACE_NOT_SERVED, over a real nats-server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, workload } from '../support/host.js';
import { useNats } from '../support/nats.js';
import { type ControlledTestHost, startControlledHost } from './helpers.js';

const nats = useNats();
let h: ControlledTestHost;
beforeAll(async () => {
  h = await startControlledHost(nats().url, { id: 'ns-1', namespaces: ['shop', 'billing'] });
});
afterAll(async () => {
  await h?.stop();
});

async function hello(namespace: string) {
  const w = workload('hello', [{ name: 'web', image: `file://${await fixturePath('hello-js')}` }], [HTTP_GRANT], {
    namespace,
  });
  w.metadata.uid = `uid-${namespace}`;
  return w;
}

describe('namespaces a host serves', () => {
  it('announces them in its heartbeat', async () => {
    const [hb] = await h.client.ping(500);
    expect(hb?.namespaces).toEqual(['billing', 'shop']);
  });

  it('runs workloads of a namespace it serves', async () => {
    expect(await h.client.start('ns-1', await hello('shop'))).toMatchObject({ id: 'shop/hello', state: 'Running' });
  });

  it('refuses a workload of another namespace, and runs nothing of it', async () => {
    await expect(h.client.start('ns-1', await hello('default'))).rejects.toMatchObject({
      code: 'SKIFF_NAMESPACE_NOT_SERVED',
      message: 'host ns-1 does not serve namespace default (it serves billing, shop)',
    });
    expect((await h.client.status('ns-1')).map((r) => r.id)).toEqual(['shop/hello']);
  });
});
