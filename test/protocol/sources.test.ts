/**
 * Start requests that bring ConfigMaps and Secrets (ADR 0007, Revision 2), against a real
 * host over a real nats-server: read-only volumes, config layers, contents sealed in the
 * Object Store, revisions, and secrets kept out of the host's logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Source, Workload } from '../../src/api/index.js';
import { putSealed, seal } from '../../src/nats/sources.js';
import { memoryPlugins } from '../../src/runtime/plugins/index.js';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, KITCHEN_SINK_GRANTS, workload } from '../support/host.js';
import { useNats } from '../support/nats.js';
import { type ControlledTestHost, startControlledHost } from './helpers.js';

const SECRET = 'hunter2-do-not-log';
const nats = useNats();
let h: ControlledTestHost;
beforeAll(async () => {
  h = await startControlledHost(nats().url, { id: 'sources-1', plugins: memoryPlugins() });
});
afterAll(async () => {
  await h?.stop();
});

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');

async function sink(generation = 1): Promise<Workload> {
  const w = workload(
    'sink',
    [
      {
        name: 'web',
        image: `file://${await fixturePath('kitchen-sink')}`,
        config: { greeting: 'literal', mode: 'literal' },
        configFrom: [{ name: 'app' }],
        secretFrom: [{ name: 'creds' }],
        volumeMounts: [
          { name: 'app', mountPath: '/etc/app' },
          { name: 'tls', mountPath: '/etc/tls' },
        ],
      },
    ],
    [HTTP_GRANT, ...KITCHEN_SINK_GRANTS],
    {
      volumes: [
        { name: 'app', configMap: { name: 'app' } },
        { name: 'tls', secret: { secretName: 'creds', items: [{ key: 'password', path: 'nested/password' }] } },
      ],
    },
  );
  w.metadata.uid = 'uid-sink';
  w.metadata.generation = generation;
  return w;
}

const sources = (greeting: string): Source[] => [
  { kind: 'ConfigMap', name: 'app', data: { greeting: b64(greeting), 'app.yaml': b64('port: 80\n') } },
  { kind: 'Secret', name: 'creds', data: { password: b64(SECRET) } },
];

const get = async (path: string) => {
  const res = await h.t.request(path);
  return { status: res.status, body: res.text };
};

describe('start requests with sources', () => {
  it('refuses a workload with a configMap volume when the start brought nothing for it', async () => {
    await expect(h.client.start('sources-1', await sink())).rejects.toMatchObject({
      code: 'SKIFF_CONFIG_NOT_FOUND',
      message: expect.stringMatching(/ConfigMap app was not sent with the start/),
    });
    await h.client.stop('sources-1', 'default/sink');
  });

  it('mounts ConfigMap and Secret files read-only and layers config over the literal map', async () => {
    const report = await h.client.start('sources-1', await sink(), undefined, {
      revision: 'r1',
      sources: sources('v1'),
    });
    expect(report).toMatchObject({ state: 'Running', generation: 1, revision: 'r1' });
    expect(await get('/fs/read?path=/etc/app/greeting')).toEqual({ status: 200, body: 'v1' });
    expect(await get('/fs/read?path=/etc/app/app.yaml')).toEqual({ status: 200, body: 'port: 80\n' });
    expect(await get('/fs/read?path=/etc/tls/nested/password')).toEqual({ status: 200, body: SECRET });
    const written = await h.t.request('/fs/write?path=/etc/app/greeting', { method: 'POST', body: 'changed' });
    expect(written).toEqual({ status: 500, text: '{"error":"read-only"}' });
    expect(await get('/fs/read?path=/etc/app/greeting')).toEqual({ status: 200, body: 'v1' });
    const all = JSON.parse((await get('/config/all')).body).config;
    expect(all).toEqual({ greeting: 'v1', mode: 'literal', 'app.yaml': 'port: 80\n', password: SECRET });
  });

  it('is idempotent for the same revision and replaces the generation for another one', async () => {
    const before = h.t.host.running()[0];
    await h.client.start('sources-1', await sink(), undefined, { revision: 'r1', sources: sources('v1') });
    expect(h.t.host.running()[0]).toBe(before);
    const report = await h.client.start('sources-1', await sink(), undefined, {
      revision: 'r2',
      sources: sources('v2'),
    });
    expect(report).toMatchObject({ state: 'Running', generation: 1, revision: 'r2' });
    expect(h.t.host.running()[0]).not.toBe(before);
    expect(await get('/fs/read?path=/etc/app/greeting')).toEqual({ status: 200, body: 'v2' });
    const [status] = await h.client.status('sources-1', 'default/sink');
    expect(status).toMatchObject({ revision: 'r2', state: 'Running' });
  });

  it('fetches sealed contents from the Object Store by digest', async () => {
    const big = 'x'.repeat(700 * 1024);
    const sealed = seal(new TextEncoder().encode(JSON.stringify({ data: { greeting: b64(big) } })));
    const stored = await putSealed(h.clientNc, 'default', sealed);
    const report = await h.client.start('sources-1', await sink(), undefined, {
      revision: 'r3',
      sources: [{ kind: 'ConfigMap', name: 'app', stored }, sources('')[1]!],
    });
    expect(report.revision).toBe('r3');
    const read = await get('/fs/read?path=/etc/app/greeting');
    expect(read.body.length).toBe(big.length);
    // Contents that are gone, or a wrong key, fail the start and leave r3 serving.
    const gone = { ...stored, digest: '0'.repeat(64) };
    await expect(
      h.client.start('sources-1', await sink(), undefined, {
        revision: 'r4',
        sources: [{ kind: 'ConfigMap', name: 'app', stored: gone }, sources('')[1]!],
      }),
    ).rejects.toMatchObject({ code: 'SKIFF_SOURCE_UNAVAILABLE' });
    const wrongKey = { ...stored, key: seal(new Uint8Array(1)).key };
    await expect(
      h.client.start('sources-1', await sink(), undefined, {
        revision: 'r5',
        sources: [{ kind: 'ConfigMap', name: 'app', stored: wrongKey }, sources('')[1]!],
      }),
    ).rejects.toMatchObject({ code: 'SKIFF_SOURCE_UNAVAILABLE' });
    const [status] = await h.client.status('sources-1', 'default/sink');
    expect(status).toMatchObject({ revision: 'r3', state: 'Running' });
  });

  it('never writes a secret value into its logs', () => {
    const text = JSON.stringify(h.t.logs);
    expect(text).toContain('workload started');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(b64(SECRET));
  });
});
