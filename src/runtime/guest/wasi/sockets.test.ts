import { describe, expect, it } from 'vitest';
import { createWasiImports } from './index.js';
import { wasiError } from './testing.js';

describe('wasi:sockets', () => {
  const wasi = createWasiImports({});

  it('provides every interface so socket-importing components instantiate', () => {
    for (const iface of [
      'wasi:sockets/instance-network',
      'wasi:sockets/network',
      'wasi:sockets/ip-name-lookup',
      'wasi:sockets/tcp-create-socket',
      'wasi:sockets/tcp',
      'wasi:sockets/udp-create-socket',
      'wasi:sockets/udp',
    ] as const) {
      expect(wasi[iface]).toBeTypeOf('object');
    }
    expect(wasi['wasi:sockets/tcp'].TcpSocket).toBeTypeOf('function');
    expect(wasi['wasi:sockets/udp'].UdpSocket).toBeTypeOf('function');
    expect(wasi['wasi:sockets/network'].Network).toBeTypeOf('function');
  });

  it('denies creating sockets and resolving names with a WIT error', () => {
    const network = (wasi['wasi:sockets/instance-network'].instanceNetwork as () => unknown)();
    expect(network).toBeInstanceOf(wasi['wasi:sockets/network'].Network as new () => unknown);
    const tcp = wasi['wasi:sockets/tcp-create-socket'].createTcpSocket as (f: string) => unknown;
    const udp = wasi['wasi:sockets/udp-create-socket'].createUdpSocket as (f: string) => unknown;
    const lookup = wasi['wasi:sockets/ip-name-lookup'].resolveAddresses as (n: unknown, name: string) => unknown;
    expect(wasiError(() => tcp('ipv4'))).toBe('access-denied');
    expect(wasiError(() => udp('ipv6'))).toBe('access-denied');
    expect(wasiError(() => lookup(network, 'example.com'))).toBe('access-denied');
  });

  it('answers every socket method with a WIT error, never a trap', () => {
    const TcpSocket = wasi['wasi:sockets/tcp'].TcpSocket as new () => Record<string, () => unknown>;
    const socket = new TcpSocket();
    expect(wasiError(() => socket.startConnect!())).toBe('access-denied');
    expect(wasiError(() => socket.startListen!())).toBe('access-denied');
    expect(wasiError(() => socket.accept!())).toBe('not-supported');
  });
});
