/**
 * connectionEvents: a consumer learns when its NATS connection is lost and when it is back
 * (the operator expires no host and stops nothing while NATS is down).
 */
import { describe, expect, it } from 'vitest';
import { type ConnectionEvent, connectionEvents, connectNats } from '../../src/nats/connection.js';
import { useNats } from '../support/nats.js';
import { waitFor } from '../support/wait.js';

const nats = useNats();

describe('connectionEvents', () => {
  it('yields disconnect when nats-server goes away and reconnect when it is back; an abort ends it', async () => {
    const nc = await connectNats({ servers: [nats().url] }, { maxBackoffMs: 200 });
    const abort = new AbortController();
    const seen: ConnectionEvent[] = [];
    const done = (async () => {
      for await (const e of connectionEvents(nc, abort.signal)) seen.push(e);
    })();
    try {
      await nats().down();
      await waitFor('disconnect', () => seen.includes('disconnect'), 10_000);
      expect(seen).toEqual(['disconnect']);
      await nats().up();
      await waitFor('reconnect', () => seen.includes('reconnect'), 20_000);
      expect(seen).toEqual(['disconnect', 'reconnect']);
      await nc.flush();
      abort.abort();
      await done;
    } finally {
      abort.abort();
      await nc.close();
    }
  });

  it('ends when the connection closes', async () => {
    const nc = await connectNats({ servers: [nats().url] });
    const seen: ConnectionEvent[] = [];
    const done = (async () => {
      for await (const e of connectionEvents(nc)) seen.push(e);
    })();
    await nc.close();
    await done;
    expect(seen).toEqual([]);
  });
});
