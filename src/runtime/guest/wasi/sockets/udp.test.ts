import { describe, expect, it } from 'vitest';
import { LoopbackHub } from '../../../worker/loopback.js';
import { text, wasiError } from '../testing.js';
import type { IpSocketAddress } from './addresses.js';
import { guest, ownV4, v4 } from './testing.js';

interface GuestUdp {
  startBind(net: unknown, a: IpSocketAddress): void;
  finishBind(): void;
  stream(
    remote?: IpSocketAddress,
  ): [
    { receive(n: bigint): { data: Uint8Array; remoteAddress: IpSocketAddress }[]; subscribe(): { block(): unknown } },
    { checkSend(): bigint; send(d: { data: Uint8Array; remoteAddress?: IpSocketAddress }[]): bigint },
  ];
  localAddress(): IpSocketAddress;
  subscribe(): { block(): unknown };
  [Symbol.dispose](): void;
}

async function udpSocket(g: ReturnType<typeof guest>, port: number) {
  const socket = (g.wasi['wasi:sockets/udp-create-socket'].createUdpSocket as (f: string) => GuestUdp)('ipv4');
  socket.startBind(g.network, v4('0.0.0.0', port));
  for (;;) {
    try {
      socket.finishBind();
      break;
    } catch (err) {
      if (err !== 'would-block') throw err;
      await socket.subscribe().block();
    }
  }
  const [incoming, outgoing] = socket.stream();
  const receive = async () => {
    for (;;) {
      const [d] = incoming.receive(1n);
      if (d) return { text: new TextDecoder().decode(d.data), from: d.remoteAddress };
      await incoming.subscribe().block();
    }
  };
  return { socket, outgoing, receive };
}

describe('wasi:sockets UDP', () => {
  it('exchanges datagrams on the virtual loopback between contexts of one workload only', async () => {
    const hub = new LoopbackHub();
    const a = await udpSocket(guest({ sockets: { loopback: hub.attach() } }), 5353);
    const b = await udpSocket(guest({ sockets: { loopback: hub.attach() } }), 0);
    const bPort = b.socket.localAddress().val.port;
    expect(b.outgoing.send([{ data: text('query'), remoteAddress: v4('127.0.0.1', 5353) }])).toBe(1n);
    expect(await a.receive()).toEqual({ text: 'query', from: v4('127.0.0.1', bPort) });
    a.outgoing.send([{ data: text('answer'), remoteAddress: v4('127.0.0.1', bPort) }]);
    expect((await b.receive()).text).toBe('answer');
    // Another workload's loopback has no port 5353: its datagram goes nowhere.
    const stranger = await udpSocket(guest({ sockets: { loopback: new LoopbackHub().attach() } }), 0);
    expect(stranger.outgoing.send([{ data: text('hello?'), remoteAddress: v4('127.0.0.1', 5353) }])).toBe(1n);
    hub.close();
  });

  it.runIf(ownV4)(
    'sends egress datagrams only where the policy allows, and takes replies only from there',
    async () => {
      const { createSocket } = await import('node:dgram');
      const server = createSocket('udp4');
      server.on('message', (msg, info) => server.send(`pong ${msg}`, info.port, info.address));
      await new Promise<void>((resolve) => server.bind(0, ownV4, resolve));
      const port = server.address().port;
      try {
        const denied = await udpSocket(guest({ sockets: { allowedHosts: ['*'] } }), 0);
        expect(wasiError(() => denied.outgoing.send([{ data: text('x'), remoteAddress: v4(ownV4!, port) }]))).toBe(
          'access-denied',
        );
        const allowed = await udpSocket(guest({ sockets: { allowedHosts: [`${ownV4}:${port}`] } }), 0);
        expect(allowed.outgoing.send([{ data: text('ping'), remoteAddress: v4(ownV4!, port) }])).toBe(1n);
        expect(await allowed.receive()).toEqual({ text: 'pong ping', from: v4(ownV4!, port) });
        expect(wasiError(() => allowed.socket.startBind(null, v4(ownV4!, 0)))).toBe('invalid-state');
        const fresh = (guest().wasi['wasi:sockets/udp-create-socket'].createUdpSocket as (f: string) => GuestUdp)(
          'ipv4',
        );
        expect(wasiError(() => fresh.startBind(null, v4(ownV4!, 0)))).toBe('access-denied');
      } finally {
        server.close();
      }
    },
  );
});
