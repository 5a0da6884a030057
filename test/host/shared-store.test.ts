/**
 * The NATS transpile store when a bundle's chunks are not there to read — purged by a
 * replacement between reading the object's info and its chunks, or planted by anyone who can
 * write the bucket: nats.js's chunk reader waits for ever for them, so every get must settle
 * within the store's read deadline and stop its consumer.
 */
import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsTranspileStore } from '../../src/runtime/engine/shared-store.js';
import { connectTest, startNats, type TestNatsServer } from '../support/nats.js';
import { waitFor } from '../support/wait.js';

let server: TestNatsServer;
let nc: NatsConnection;
beforeAll(async () => {
  server = await startNats();
  nc = await connectTest(server);
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe('natsTranspileStore', () => {
  it('gives up on a bundle whose chunks are gone, and stops reading them', async () => {
    const bucket = 'skiff-transpiled-gone';
    const store = natsTranspileStore(nc, { bucket, readTimeoutMs: 1000 });
    await store.put('k', randomBytes(2 ** 20));
    const info = await (await new Objm(jetstream(nc)).open(bucket)).info('k');
    const jsm = await jetstreamManager(nc);
    await jsm.streams.purge(`OBJ_${bucket}`, { filter: `$O.${bucket}.C.${info!.nuid}` });
    await expect(store.get('k')).rejects.toThrow(/took over 1000 ms/);
    // nats.js leaves an unbound consumer for the server to expire; nobody may still be reading it.
    const bound = async () => (await jsm.consumers.list(`OBJ_${bucket}`).next()).filter((c) => c.push_bound);
    await waitFor('the chunk reader to unsubscribe', async () => (await bound()).length === 0);
  });

  it('settles every read of a key that is being replaced', async () => {
    const store = natsTranspileStore(nc, { bucket: 'skiff-transpiled-race', readTimeoutMs: 2000 });
    const versions = Array.from({ length: 6 }, () => randomBytes(3 * 2 ** 20));
    await store.put('k', versions[0]!);
    const outcomes: string[] = [];
    for (const next of versions.slice(1)) {
      const read = store.get('k').then(
        (got) => (got && versions.some((v) => Buffer.compare(v, got) === 0) ? 'whole' : `wrong ${got?.byteLength}`),
        (err: Error) => (/took over 2000 ms|digest/.test(err.message) ? 'refused' : `error ${err.message}`),
      );
      await store.put('k', next);
      outcomes.push(await read);
    }
    for (const o of outcomes) expect(['whole', 'refused']).toContain(o);
    expect(Buffer.compare((await store.get('k'))!, versions.at(-1)!)).toBe(0);
  });
});
