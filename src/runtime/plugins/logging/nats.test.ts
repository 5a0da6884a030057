import { describe, expect, it } from 'vitest';
import { useNats, useNatsConnections } from '../../../../test/support/nats.js';
import { workloadLogSubject } from '../../../nats/subjects.js';
import { bindFor, fn } from '../testing.js';
import type { LogRecord } from './backend.js';
import { loggingContract } from './contract.js';
import { LOGGING, loggingPlugin } from './index.js';
import { natsLogBackend, type PublishedLogRecord } from './nats.js';

const server = useNats();
const connection = useNatsConnections(server);
const GRANT = { namespace: 'wasi', package: 'logging', interfaces: ['logging'], version: '0.1.0-draft' };

// follow subscribes like `skiff ctl logs` and reads back what arrived once both connections flushed.
async function follow(subject = 'skiff.logs.>') {
  const [pub, sub] = [await connection(), await connection()];
  const got: PublishedLogRecord[] = [];
  sub.subscribe(subject, {
    callback: (_err, msg) => {
      got.push(msg.json<PublishedLogRecord>());
    },
  });
  await sub.flush();
  return {
    pub,
    read: async (): Promise<LogRecord[]> => {
      await pub.flush();
      await sub.flush();
      return got.map((r) => ({ ...r, time: Date.parse(r.time) }));
    },
  };
}

loggingContract('nats', async () => {
  const { pub, read } = await follow();
  return { backend: natsLogBackend(pub), read };
});

describe('wasi:logging on NATS', () => {
  it('publishes on the workload subject skiff ctl logs follows', async () => {
    const { pub, read } = await follow(workloadLogSubject('shop', 'web'));
    const backend = natsLogBackend(pub);
    const b = await bindFor(loggingPlugin({ backend }), { namespace: 'shop', name: 'web', grants: [GRANT] });
    const other = await bindFor(loggingPlugin({ backend }), { namespace: 'shop', name: 'api', grants: [GRANT] });
    fn(b, LOGGING, 'log')('warn', 'orders', 'low stock');
    fn(other, LOGGING, 'log')('info', '', 'not mine');
    const records = await read();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      namespace: 'shop',
      workload: 'web',
      level: 'warn',
      context: 'orders',
      message: 'low stock',
    });
  });

  it('drops records while NATS is down without failing the guest, and publishes again after', async () => {
    const { pub, read } = await follow();
    const backend = natsLogBackend(pub);
    const b = await bindFor(loggingPlugin({ backend }), { grants: [GRANT] });
    const log = fn(b, LOGGING, 'log');
    await server().down();
    while (!pub.isClosed() && backend.dropped === 0) {
      expect(log('info', '', 'during outage')).toBeUndefined();
      await new Promise((r) => setTimeout(r, 5));
    }
    await server().up();
    const deadline = Date.now() + 20_000;
    while (!(await read().catch(() => [])).some((r) => r.message === 'after')) {
      if (Date.now() > deadline) throw new Error('no record published after the restart');
      log('info', '', 'after');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(b.logs.filter((l) => l.msg === 'log backend write failed')).toEqual([]);
  });
});
