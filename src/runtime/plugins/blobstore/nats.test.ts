import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useNats, useNatsConnections } from '../../../../test/support/nats.js';
import { settles, waitFor } from '../../../../test/support/wait.js';
import { bindFor, fn, thrown } from '../testing.js';
import { blobstoreContract } from './contract.js';
import { BLOB_TYPES, BLOBSTORE, blobstorePlugin } from './index.js';
import { natsBlobstoreBackend } from './nats.js';

const server = useNats();
const connection = useNatsConnections(server);
const GRANT = { namespace: 'wasi', package: 'blobstore', interfaces: ['blobstore'], version: '0.2.0-draft' };

blobstoreContract('nats', async () => natsBlobstoreBackend(await connection()));

describe('wasi:blobstore on NATS', () => {
  it('limits how many containers one namespace may create, and sizes new ones', async () => {
    const nc = await connection();
    const backend = natsBlobstoreBackend(nc, { maxContainersPerNamespace: 1, maxContainerBytes: 1 << 20 });
    await backend.createContainer('quota-a', 'one');
    await expect(backend.createContainer('quota-a', 'two')).rejects.toThrow(
      /already has 1 containers \(the limit is 1\)/,
    );
    await backend.createContainer('quota-b', 'one');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const info = await (await jetstreamManager(nc)).streams.info('OBJ_skiff_quota-a_one');
    expect(info.config.max_bytes).toBe(1 << 20);
  });

  it('streams objects of several MB both ways, across many NATS messages', async () => {
    const b = await bindFor(blobstorePlugin({ backend: natsBlobstoreBackend(await connection()) }), {
      grants: [GRANT],
    });
    // biome-ignore lint/suspicious/noExplicitAny: jco resource classes.
    const { OutgoingValue: Out, IncomingValue: In } = b.binding.imports[BLOB_TYPES] as any;
    const c = await fn(b, BLOBSTORE, 'createContainer')('big');
    const payload = randomBytes(5 * 1024 * 1024 + 123);
    const value = Out.newOutgoingValue();
    const stream = value.outgoingValueWriteBody();
    await c.writeData('blob.bin', value);
    for (let off = 0; off < payload.length; off += 64 * 1024) {
      stream.checkWrite();
      stream.write(payload.subarray(off, off + 64 * 1024));
    }
    stream[Symbol.dispose]();
    await Out.finish(value);
    expect((await c.objectInfo('blob.bin')).size).toBe(BigInt(payload.length));
    const whole: Uint8Array = await In.incomingValueConsumeSync(await c.getData('blob.bin', 0n, 2n ** 64n - 1n));
    expect(Buffer.from(whole).equals(payload)).toBe(true);
    const from = 3_000_000n;
    const part = In.incomingValueConsumeAsync(await c.getData('blob.bin', from, from + 400_000n));
    const got: Uint8Array[] = [];
    for (;;) {
      try {
        got.push(await part.blockingRead(100_000n));
      } catch (err) {
        expect(err).toEqual({ tag: 'closed' });
        break;
      }
    }
    expect(Buffer.concat(got).equals(payload.subarray(Number(from), Number(from) + 400_001))).toBe(true);
    await fn(
      b,
      BLOBSTORE,
      'copyObject',
    )({ container: 'big', object: 'blob.bin' }, { container: 'big', object: 'copy' });
    const copy: Uint8Array = await In.incomingValueConsumeSync(await c.getData('copy', 0n, 2n ** 64n - 1n));
    expect(Buffer.from(copy).equals(payload)).toBe(true);
  });

  it('fails calls promptly while NATS is down and keeps objects through the restart', async () => {
    const b = await bindFor(
      blobstorePlugin({ backend: natsBlobstoreBackend(await connection(), { timeoutMs: 1000 }) }),
      { grants: [GRANT] },
    );
    // biome-ignore lint/suspicious/noExplicitAny: jco resource classes.
    const { OutgoingValue: Out, IncomingValue: In } = b.binding.imports[BLOB_TYPES] as any;
    const c = await fn(b, BLOBSTORE, 'createContainer')('durable');
    const value = Out.newOutgoingValue();
    const stream = value.outgoingValueWriteBody();
    stream.blockingWriteAndFlush(Buffer.from('kept'));
    stream[Symbol.dispose]();
    await c.writeData('o', value);
    await Out.finish(value);
    await server().down();
    // Promptly: a call still waiting long after its 1 s timeout fails the test.
    const exists = fn(b, BLOBSTORE, 'containerExists')('durable');
    expect(await thrown(settles('containerExists during the outage', exists, 5000))).toEqual(expect.any(String));
    expect(await thrown(settles('getData during the outage', c.getData('o', 0n, 10n), 5000))).toEqual(
      expect.any(String),
    );
    await server().up();
    await waitFor(
      'the container to come back after the restart',
      () => fn(b, BLOBSTORE, 'containerExists')('durable').catch(() => false),
      20_000,
    );
    expect(Buffer.from(await In.incomingValueConsumeSync(await c.getData('o', 0n, 10n))).toString()).toBe('kept');
  });
});
