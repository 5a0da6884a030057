/**
 * `wasi:sockets` in real components, over real TCP and UDP: a workload's HTTP component
 * (the tcp-client-c fixture) reaches its service (service-c in echo or udp-echo mode) on
 * the workload's virtual loopback — no real port, invisible to other workloads — and
 * reaches a real server only when the workload's wasi:sockets grant names it.
 */
import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workload } from '../../src/api/index.js';
import { hostAddresses } from '../../src/runtime/guest/wasi/sockets/policy.js';
import { VirtualHostRouter } from '../../src/runtime/http/routers.js';
import { fixturePath } from '../support/fixtures.js';
import { startTestHost, type TestHost, workload } from '../support/host.js';
import { waitFor } from '../support/wait.js';

/** Error codes of wasi:sockets/network as the C fixture prints them. */
const ACCESS_DENIED = 'error: 1';
const CONNECTION_REFUSED = 'error: 14';

let t: TestHost;
let client: string;
let service: string;
let server: Server | undefined;

beforeAll(async () => {
  client = `file://${await fixturePath('tcp-client-c')}`;
  service = `file://${await fixturePath('service-c')}`;
  t = await startTestHost({ router: new VirtualHostRouter() });
});
afterAll(async () => {
  server?.close();
  await t?.stop();
});

function tcpClient(name: string, env: Record<string, string>, extra: Partial<Workload['spec']> = {}, sockets?: string) {
  const grants: Workload['spec']['hostInterfaces'] = [
    { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], config: { host: `${name}.test` } },
  ];
  if (sockets)
    grants.push({ namespace: 'wasi', package: 'sockets', interfaces: ['tcp'], config: { allowedHosts: sockets } });
  return workload(name, [{ name: 'web', image: client, environment: env }], grants, extra);
}

const get = (name: string) => t.request('/', { host: `${name}.test` });

/** realPortOpen says whether anything on the machine accepts TCP on 127.0.0.1:port. */
function realPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('virtual loopback', () => {
  it("connects a workload's HTTP component to its service's port over TCP, with no real port opened", async () => {
    await t.host.workloadStart(
      tcpClient(
        'loop',
        { TCP_PORT: '7070' },
        { service: { name: 'echo', image: service, environment: { SERVICE_MODE: 'echo' } } },
      ),
    );
    await waitFor('the service to listen', () =>
      t.logs.some((l) => l.workload === 'default/loop' && l.msg === 'service-c listening on 7070'),
    );
    expect(await get('loop')).toEqual({ status: 200, text: 'echo: hello from http\n' });
    expect(await get('loop')).toEqual({ status: 200, text: 'echo: hello from http\n' });
    expect(await realPortOpen(7070)).toBe(false);
  });

  it("is invisible to other workloads: the same port on another workload's loopback refuses", async () => {
    await t.host.workloadStart(tcpClient('stranger', { TCP_PORT: '7070' }));
    expect(await get('stranger')).toEqual({ status: 502, text: CONNECTION_REFUSED });
  });
});

describe('UDP on the virtual loopback', () => {
  it("carries datagrams between a workload's HTTP component and its service", async () => {
    await t.host.workloadStart(
      tcpClient(
        'dgram',
        { PROTO: 'udp', TCP_PORT: '5353' },
        { service: { name: 'echo', image: service, environment: { SERVICE_MODE: 'udp-echo' } } },
      ),
    );
    await waitFor('the service to bind', () =>
      t.logs.some((l) => l.workload === 'default/dgram' && l.msg === 'service-c bound udp 5353'),
    );
    expect(await get('dgram')).toEqual({ status: 200, text: 'echo: hello from http\n' });
  });
});

const ownV4 = hostAddresses().find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a) && !a.startsWith('127.'));

describe.runIf(ownV4)('egress', () => {
  let port: number;
  beforeAll(async () => {
    server = createServer((socket) => {
      socket.once('data', (chunk) => socket.end(`real: ${chunk.toString()}`));
    });
    await new Promise<void>((resolve) => server!.listen(0, ownV4, resolve));
    port = (server.address() as { port: number }).port;
  });

  it('reaches a real TCP server when the grant names its address exactly', async () => {
    await t.host.workloadStart(
      tcpClient('egress', { TCP_HOST: ownV4!, TCP_PORT: String(port) }, {}, `${ownV4}:${port}`),
    );
    expect(await get('egress')).toEqual({ status: 200, text: 'real: hello from http\n' });
  });

  it("refuses the host's own address to a wildcard grant and to a workload without a grant", async () => {
    await t.host.workloadStart(tcpClient('wild', { TCP_HOST: ownV4!, TCP_PORT: String(port) }, {}, '*'));
    expect(await get('wild')).toEqual({ status: 502, text: ACCESS_DENIED });
    await t.host.workloadStart(tcpClient('nogrant', { TCP_HOST: ownV4!, TCP_PORT: String(port) }));
    expect(await get('nogrant')).toEqual({ status: 502, text: ACCESS_DENIED });
  });

  it('sends a UDP datagram only where the grant allows, and gets the reply', async () => {
    const { createSocket } = await import('node:dgram');
    const udp = createSocket('udp4');
    udp.on('message', (msg, info) => udp.send(`real: ${msg}`, info.port, info.address));
    await new Promise<void>((resolve) => udp.bind(0, ownV4, resolve));
    const udpPort = udp.address().port;
    try {
      const env = { PROTO: 'udp', TCP_HOST: ownV4!, TCP_PORT: String(udpPort) };
      await t.host.workloadStart(tcpClient('udp-out', env, {}, `${ownV4}:${udpPort}`));
      expect(await get('udp-out')).toEqual({ status: 200, text: 'real: hello from http\n' });
      await t.host.workloadStart(tcpClient('udp-wild', env, {}, '*'));
      expect(await get('udp-wild')).toEqual({ status: 502, text: ACCESS_DENIED });
    } finally {
      udp.close();
    }
  });
});
