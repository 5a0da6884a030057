import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { startNats } from './nats.js';

describe('startNats', () => {
  it('starts JetStream, restarts on the same port and store dir, and stops', async () => {
    const server = await startNats();
    try {
      const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
      const info = await nc.request('$JS.API.INFO', undefined, { timeout: 2000 });
      expect(JSON.parse(info.string()).type).toBe('io.nats.jetstream.api.v1.account_info_response');
      const { port, storeDir } = server;
      await server.restart();
      expect([server.port, server.storeDir]).toEqual([port, storeDir]);
      // the client reconnects by itself; the stream-less request succeeds once it has
      const deadline = Date.now() + 10_000;
      for (;;) {
        const ok = await nc.request('$JS.API.INFO', undefined, { timeout: 500 }).then(
          () => true,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline) throw new Error('client did not reconnect after restart');
        await new Promise((r) => setTimeout(r, 20));
      }
      await nc.close();
    } finally {
      await server.stop();
    }
  });

  it('requires the configured user/password or token', async () => {
    const server = await startNats({ user: 'u', pass: 'p' });
    const tok = await startNats({ token: 's3cret' });
    try {
      await expect(connect({ servers: server.url, reconnect: false })).rejects.toThrow();
      await (await connect({ servers: server.url, user: 'u', pass: 'p' })).close();
      await expect(connect({ servers: tok.url, reconnect: false })).rejects.toThrow();
      await (await connect({ servers: tok.url, token: 's3cret' })).close();
    } finally {
      await Promise.all([server.stop(), tok.stop()]);
    }
  });
});
