/**
 * Helpers for this folder's tests: a guest's view of the `wasi:sockets` imports (the guest
 * calls the same functions and methods, without a component in between).
 */
import { createWasiImports } from '../index.js';
import type { IpSocketAddress } from './addresses.js';
import { hostAddresses } from './policy.js';

/** GuestStreams are a connected socket's streams as a guest sees them. */
export interface GuestStreams {
  input: {
    read(n: bigint): Uint8Array;
    blockingRead(n: bigint): Promise<Uint8Array> | Uint8Array;
    [Symbol.dispose](): void;
  };
  output: {
    checkWrite(): bigint;
    write(b: Uint8Array): void;
    blockingWriteAndFlush(b: Uint8Array): Promise<void> | void;
    [Symbol.dispose](): void;
  };
}
/** GuestSocket is a TCP socket as a guest sees it. */
export interface GuestSocket {
  startBind(net: unknown, a: IpSocketAddress): void;
  finishBind(): void;
  startConnect(net: unknown, a: IpSocketAddress): void;
  finishConnect(): [GuestStreams['input'], GuestStreams['output']];
  startListen(): void;
  finishListen(): void;
  accept(): [GuestSocket, GuestStreams['input'], GuestStreams['output']];
  localAddress(): IpSocketAddress;
  subscribe(): { block(): Promise<void> | void; ready(): boolean };
  [Symbol.dispose](): void;
}

/** v4 builds an IPv4 ip-socket-address. */
export const v4 = (address: string, port: number): IpSocketAddress => ({
  tag: 'ipv4',
  val: { port, address: address.split('.').map(Number) as [number, number, number, number] },
});

/** guest builds a WASI core with sockets and returns its network and a TCP socket factory. */
export function guest(options: Parameters<typeof createWasiImports>[0] = {}) {
  const wasi = createWasiImports(options);
  const network = (wasi['wasi:sockets/instance-network'].instanceNetwork as () => unknown)();
  const create = wasi['wasi:sockets/tcp-create-socket'].createTcpSocket as (f: string) => GuestSocket;
  return { wasi, network, tcp: () => create('ipv4') };
}

/** retry calls fn until it stops failing with would-block, waiting on the socket's pollable. */
export async function retry<T>(socket: GuestSocket, fn: () => T): Promise<T> {
  for (;;) {
    try {
      return fn();
    } catch (err) {
      if (err !== 'would-block') throw err;
      await socket.subscribe().block();
    }
  }
}

/** connect opens a TCP connection as a guest would. */
export async function connect(g: ReturnType<typeof guest>, address: IpSocketAddress) {
  const socket = g.tcp();
  socket.startConnect(g.network, address);
  const [input, output] = await retry(socket, () => socket.finishConnect());
  return { socket, input, output };
}

/** readLine reads from a guest input stream up to a newline. */
export async function readLine(input: GuestStreams['input']): Promise<string> {
  let line = '';
  while (!line.endsWith('\n')) line += new TextDecoder().decode(await input.blockingRead(1024n));
  return line;
}

/** ownV4 is an IPv4 address of this machine that is not loopback (the host's own, restricted, address). */
export const ownV4 = hostAddresses().find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a) && !a.startsWith('127.'));
