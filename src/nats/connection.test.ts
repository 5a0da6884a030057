import { describe, expect, it } from 'vitest';
import { connectNats, withoutCredentials } from './connection.js';

describe('withoutCredentials', () => {
  it('drops user and password from server URLs', () => {
    expect(withoutCredentials('nats://alice:s3cret@127.0.0.1:4222')).toBe('nats://127.0.0.1:4222');
    expect(withoutCredentials('tls://tok@nats.example:4443')).toBe('tls://nats.example:4443');
    expect(withoutCredentials('nats://127.0.0.1:4222')).toBe('nats://127.0.0.1:4222');
  });

  it('keeps credentials out of connection errors', async () => {
    const err = await connectNats({ servers: ['nats://alice:s3cret@127.0.0.1:1'] } as never).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('127.0.0.1:1');
    expect((err as Error).message).not.toContain('s3cret');
  });
});
