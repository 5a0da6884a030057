import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../telemetry/logger.js';
import { outputStream, pollable } from '../shared/shim.js';
import { BridgeServer } from './bridge-server.js';

/** A plugin resource whose stream accepts nothing until `open()`, like a backend applying backpressure. */
function slowSink() {
  const written: number[] = [];
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let permit = 0n;
  void opened.then(() => {
    permit = 1n << 20n;
  });
  class Sink {
    stream() {
      return outputStream({
        checkWrite: () => permit,
        write: (buf: Uint8Array) => written.push(...buf),
        subscribe: () => pollable(opened),
      });
    }
    total() {
      return written.length;
    }
  }
  return { written, open, fragment: { 'test:sink/sink': { make: () => new Sink(), Sink } } };
}

describe('BridgeServer', () => {
  it('runs every call after the stream writes a worker sent before it', async () => {
    const sink = slowSink();
    const server = new BridgeServer(sink.fragment, silentLogger());
    const made = await server.handle({ t: 'rpc', id: 1, op: 'call', iface: 'test:sink/sink', name: 'make', args: [] });
    const handle = (made as { value: { __skiffHandle: number } }).value.__skiffHandle;
    const stream = await server.handle({ t: 'rpc', id: 2, op: 'method', handle, name: 'stream', args: [] });
    const streamHandle = (stream as { value: { __skiffHandle: number } }).value.__skiffHandle;
    // The worker sends a write, then asks for the total: the total must include the write.
    const write = server.handle({
      t: 'rpc',
      id: 3,
      op: 'stream-write',
      handle: streamHandle,
      bytes: new Uint8Array([1, 2, 3]),
    });
    const total = server.handle({ t: 'rpc', id: 4, op: 'method', handle, name: 'total', args: [] });
    sink.open();
    await write;
    expect(await total).toEqual({ t: 'rpc-reply', id: 4, ok: true, value: 3 });
  });

  it('returns WIT error values to the guest and host failures as host errors', async () => {
    const server = new BridgeServer(
      {
        'test:x/x': {
          witError: () => {
            throw { tag: 'no-such-store' };
          },
          bug: () => {
            throw new Error('plugin bug');
          },
        },
      },
      silentLogger(),
    );
    expect(await server.handle({ t: 'rpc', id: 1, op: 'call', iface: 'test:x/x', name: 'witError', args: [] })).toEqual(
      {
        t: 'rpc-reply',
        id: 1,
        ok: false,
        thrown: { tag: 'no-such-store' },
      },
    );
    expect(
      await server.handle({ t: 'rpc', id: 2, op: 'call', iface: 'test:x/x', name: 'bug', args: [] }),
    ).toMatchObject({
      ok: false,
      hostError: 'plugin bug',
    });
    expect(await server.handle({ t: 'rpc', id: 3, op: 'method', handle: 99, name: 'x', args: [] })).toMatchObject({
      ok: false,
      hostError: 'resource handle 99 is not live',
    });
  });
});
