import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../../test/support/wait.js';
import { LoopbackHub } from '../../../worker/loopback.js';
import { text, wasiError } from '../testing.js';
import { SocketPolicy } from './policy.js';
import { connect, guest, ownV4, readLine, retry, v4 } from './testing.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** echoServer answers every line with "echo: <line>" on `host`, a real TCP port. */
async function echoServer(host: string): Promise<number> {
  const server = createServer((socket: Socket) => {
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString();
      for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
        socket.write(`echo: ${pending.slice(0, i)}\n`);
        pending = pending.slice(i + 1);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as { port: number }).port;
}

describe('SocketPolicy', () => {
  const resolve = (table: Record<string, string[]>) =>
    ((name: string, _o: unknown, cb: (e: Error | null, a?: { address: string; family: number }[]) => void) => {
      const list = table[name];
      if (list)
        cb(
          null,
          list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
        );
      else cb(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
    }) as never;

  it('allows an address an entry names, or one a permitted lookup returned, at the entry port', async () => {
    const p = new SocketPolicy({
      allowedHosts: ['db.example:5432', '203.0.113.9', '*.cdn.example'],
      ownAddresses: [],
      resolve: resolve({ 'db.example': ['198.51.100.7'], 'a.cdn.example': ['198.51.100.8'] }),
    });
    expect(p.permits('203.0.113.9', 22)).toBe(true);
    expect(p.permits('198.51.100.7', 5432)).toBe(false); // not looked up yet
    expect(await p.resolve('db.example')).toEqual(['198.51.100.7']);
    expect(p.permits('198.51.100.7', 5432)).toBe(true);
    expect(p.permits('198.51.100.7', 5433)).toBe(false);
    expect(p.mayResolve('evil.example')).toBe(false);
    expect(await p.resolve('a.cdn.example')).toEqual(['198.51.100.8']);
    expect(p.permits('198.51.100.8', 443)).toBe(true);
  });

  it('refuses internal and own addresses to wildcards, but not to an entry naming the host exactly', async () => {
    const p = new SocketPolicy({
      allowedHosts: ['*', 'nats.internal:4222'],
      ownAddresses: ['198.51.100.1'],
      resolve: resolve({ 'metadata.example': ['169.254.169.254'], 'nats.internal': ['10.0.0.5'] }),
    });
    expect(p.permits('10.0.0.1', 443)).toBe(false);
    expect(p.permits('198.51.100.1', 443)).toBe(false);
    expect(p.permits('198.51.100.2', 443)).toBe(true);
    expect(await p.resolve('metadata.example')).toEqual([]);
    expect(await p.resolve('nats.internal')).toEqual(['10.0.0.5']);
    expect(p.permits('10.0.0.5', 4222)).toBe(true);
    expect(p.permits('10.0.0.5', 4223)).toBe(false);
  });
});

describe('wasi:sockets TCP egress', () => {
  it.runIf(ownV4)(
    'connects to an exactly allowed host address over real TCP, and refuses it to a wildcard',
    async () => {
      const port = await echoServer(ownV4!);
      const denied = guest({ sockets: { allowedHosts: ['*'] } });
      expect(wasiError(() => denied.tcp().startConnect(denied.network, v4(ownV4!, port)))).toBe('access-denied');
      const none = guest();
      expect(wasiError(() => none.tcp().startConnect(none.network, v4(ownV4!, port)))).toBe('access-denied');

      const g = guest({ sockets: { allowedHosts: [`${ownV4}:${port}`] } });
      const { socket, input, output } = await connect(g, v4(ownV4!, port));
      await output.blockingWriteAndFlush(text('hello\n'));
      expect(await readLine(input)).toBe('echo: hello\n');
      input[Symbol.dispose]();
      output[Symbol.dispose]();
      socket[Symbol.dispose]();
    },
  );

  it.runIf(ownV4)('bounds the connections a workload holds, across contexts sharing its counter', async () => {
    const port = await echoServer(ownV4!);
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const sockets = { allowedHosts: [`${ownV4}:${port}`], counter, maxConnections: 1 };
    const a = guest({ sockets });
    const b = guest({ sockets });
    const first = await connect(a, v4(ownV4!, port));
    expect(wasiError(() => b.tcp().startConnect(b.network, v4(ownV4!, port)))).toBe('new-socket-limit');
    first.socket[Symbol.dispose]();
    const second = await connect(b, v4(ownV4!, port));
    second.socket[Symbol.dispose]();
  });

  it('looks up only names an entry allows', () => {
    const g = guest({ sockets: { allowedHosts: ['db.example:5432'] } });
    const lookup = g.wasi['wasi:sockets/ip-name-lookup'].resolveAddresses as (n: unknown, name: string) => unknown;
    expect(wasiError(() => lookup(g.network, 'kubernetes.default.svc'))).toBe('access-denied');
    expect(lookup(g.network, 'db.example')).toBeTypeOf('object');
  });
});

describe('virtual loopback', () => {
  it('connects a component to the port its workload service listens on, and nothing else', async () => {
    const hub = new LoopbackHub();
    const service = guest({ sockets: { loopback: hub.attach(), mayListen: true } });
    const component = guest({ sockets: { loopback: hub.attach() } });
    const listener = service.tcp();
    listener.startBind(service.network, v4('127.0.0.1', 7000));
    listener.finishBind();
    listener.startListen();
    await retry(listener, () => listener.finishListen());
    expect(hub.ports).toEqual([7000]);

    const client = await connect(component, v4('127.0.0.1', 7000));
    const [, serverIn, serverOut] = await retry(listener, () => listener.accept());
    await client.output.blockingWriteAndFlush(text('ping\n'));
    expect(await readLine(serverIn)).toBe('ping\n');
    await serverOut.blockingWriteAndFlush(text('pong\n'));
    expect(await readLine(client.input)).toBe('pong\n');

    // A component may not listen; a port nobody listens on refuses; another workload sees nothing.
    const notService = component.tcp();
    notService.startBind(component.network, v4('127.0.0.1', 7001));
    notService.finishBind();
    expect(wasiError(() => notService.startListen())).toBe('access-denied');
    const refused = component.tcp();
    refused.startConnect(component.network, v4('127.0.0.1', 7001));
    await expect(retry(refused, () => refused.finishConnect())).rejects.toBe('connection-refused');
    const other = guest({ sockets: { loopback: new LoopbackHub().attach() } });
    const stranger = other.tcp();
    stranger.startConnect(other.network, v4('127.0.0.1', 7000));
    await expect(retry(stranger, () => stranger.finishConnect())).rejects.toBe('connection-refused');
    hub.close();
  });

  it('bounds the bytes buffered toward a peer that does not read', async () => {
    const hub = new LoopbackHub();
    const service = guest({ sockets: { loopback: hub.attach(), mayListen: true, bufferBytes: 4096 } });
    const component = guest({ sockets: { loopback: hub.attach(), bufferBytes: 4096 } });
    const listener = service.tcp();
    listener.startBind(service.network, v4('127.0.0.1', 0));
    listener.finishBind();
    listener.startListen();
    await retry(listener, () => listener.finishListen());
    const port = listener.localAddress().val.port;
    const client = await connect(component, v4('127.0.0.1', port));
    await retry(listener, () => listener.accept());
    // The service never reads: the client may write its window, then the peer's buffer, then nothing.
    let written = 0;
    await waitFor('the write window to close', async () => {
      const permit = Number(client.output.checkWrite());
      if (permit > 0) {
        client.output.write(new Uint8Array(permit));
        written += permit;
      }
      await new Promise((r) => setImmediate(r));
      return client.output.checkWrite() === 0n && written;
    });
    expect(written).toBeLessThanOrEqual(3 * 4096);
    hub.close();
  });
});

describe('closing a context', () => {
  it.runIf(ownV4)("closes its connections and gives their slots back to the workload's budget", async () => {
    const port = await echoServer(ownV4!);
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const connections = new Int32Array(new SharedArrayBuffer(4));
    const g = guest({ sockets: { allowedHosts: [`${ownV4}:${port}`], counter, connections, maxConnections: 4 } });
    const { input } = await connect(g, v4(ownV4!, port));
    expect([counter[0], connections[0]]).toEqual([1, 1]);
    g.wasi.control.close();
    expect([counter[0], connections[0]]).toEqual([0, 0]);
    await expect(Promise.resolve().then(() => input.blockingRead(10n))).rejects.toMatchObject({ tag: 'closed' });
  });
});

describe('addresses', () => {
  it('writes IPv6 in canonical form, so entries and DNS answers match what a guest dials', async () => {
    const { addressText, ipAddressOf, isLoopback } = await import('./addresses.js');
    expect(addressText({ tag: 'ipv6', val: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1] })).toBe('2001:db8::1');
    expect(addressText({ tag: 'ipv6', val: [0, 0, 0, 0, 0, 0, 0, 1] })).toBe('::1');
    expect(isLoopback(addressText({ tag: 'ipv6', val: [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1] })!)).toBe(true);
    expect(ipAddressOf('2001:db8::1')).toEqual({ tag: 'ipv6', val: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1] });
    expect(ipAddressOf('::ffff:1.2.3.4')).toEqual({ tag: 'ipv6', val: [0, 0, 0, 0, 0, 0xffff, 0x102, 0x304] });
    const p = new SocketPolicy({ allowedHosts: ['[2001:db8::1]:443', '*'], ownAddresses: [] });
    expect(p.permits(addressText({ tag: 'ipv6', val: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1] })!, 443)).toBe(true);
    // An IPv4-mapped address is the IPv4 address: ::ffff:10.0.0.1 is private, not reachable through '*'.
    expect(p.permits(addressText({ tag: 'ipv6', val: [0, 0, 0, 0, 0, 0xffff, 0x0a00, 1] })!, 443)).toBe(false);
    expect(p.permits(addressText({ tag: 'ipv6', val: [0, 0, 0, 0, 0, 0xffff, 0xc633, 0x6407] })!, 443)).toBe(true);
  });
});
