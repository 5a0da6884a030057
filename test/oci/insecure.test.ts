/**
 * `skiff host --insecure-registry HOST[:PORT]` with a real registry on this machine's own
 * (non-loopback) address: a host naming the registry pulls from it over plain HTTP; a host
 * that does not name it speaks HTTPS to it, as to every other registry, and the start fails.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInsecureRegistries } from '../../src/cli/host.js';
import { ControlClient } from '../../src/nats/client.js';
import { connectNats } from '../../src/nats/connection.js';
import { parseReference, pushComponent } from '../../src/runtime/oci/index.js';
import { type CliRun, runCli } from '../support/cli.js';
import { fixturePath } from '../support/fixtures.js';
import { workload } from '../support/host.js';
import { useNats } from '../support/nats.js';
import { startRegistry, type TestRegistry } from './registry.js';

const nats = useNats();
let registry: TestRegistry;
let image: string;
const hosts: CliRun[] = [];

/** machineAddress is this machine's first non-loopback IPv4 address (never plain HTTP by default). */
function machineAddress(): string {
  const ip = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (!ip) throw new Error('this machine has no non-loopback IPv4 address');
  return ip;
}

beforeAll(async () => {
  registry = await startRegistry({ kind: 'none' }, { address: machineAddress() });
  image = `${registry.host}/insecure/hello-c:1`;
  const bytes = new Uint8Array(readFileSync(await fixturePath('hello-c')));
  await pushComponent(parseReference(image), bytes, { label: image, insecure: [registry.host] });
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await registry?.stop();
});

/** host runs `skiff host` with its own empty cache, so every start pulls. */
async function host(id: string, flags: string[]): Promise<number> {
  const args = ['host', '--nats', nats().url, '--name', id, '--port', '0', '--metrics-port', '0'];
  args.push('--bind', '127.0.0.1', ...flags);
  const run = runCli(args, { SKIFF_CACHE: mkdtempSync(join(tmpdir(), 'skiff-insecure-cache-')) });
  hosts.push(run);
  const m = await run.waitFor(new RegExp(`${id} ready; http port (\\d+)`), 60_000);
  return Number(m[1]);
}

function httpGet(port: number, vhost: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, headers: { host: vhost }, timeout: 5_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function start(hostId: string) {
  const nc = await connectNats({ servers: [nats().url] }, { name: 'insecure-test' });
  try {
    const w = workload(
      'hello',
      [{ name: 'web', image }],
      [{ namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], config: { host: 'hello.test' } }],
    );
    return await new ControlClient(nc).start(hostId, w);
  } finally {
    await nc.close();
  }
}

describe('--insecure-registry', () => {
  it('pulls over plain HTTP from a registry it names, and serves the component', async () => {
    const port = await host('insecure-yes', ['--insecure-registry', registry.host]);
    expect(await start('insecure-yes')).toMatchObject({ state: 'Running' });
    expect(await httpGet(port, 'hello.test')).toEqual({ status: 200, text: 'hello from skiff' });
  });

  it('without it speaks HTTPS to that registry, like to any other, and the start fails', async () => {
    await host('insecure-no', ['--insecure-registry', 'other.example:5000']);
    const err = (await start('insecure-no').catch((e: unknown) => e)) as Error & { code?: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(registry.host);
    // TLS spoken to a plain-HTTP server: ERR_SSL_WRONG_VERSION_NUMBER.
    expect(err).toMatchObject({ code: 'SKIFF_OCI_UNREACHABLE', message: expect.stringMatching(/SSL/) });
  });

  it('reads repeated flags as lower-case host[:port] and refuses anything else', () => {
    expect(parseInsecureRegistries(['Registry.Local:5000', '10.0.0.1:5000', 'registry.local:5000'])).toEqual([
      '10.0.0.1:5000',
      'registry.local:5000',
    ]);
    expect(parseInsecureRegistries(['[::1]:5000'])).toEqual(['[::1]:5000']);
    expect(parseInsecureRegistries(undefined)).toEqual([]);
    for (const bad of ['http://registry.local', 'registry.local/path', 'registry.local:', '-bad.host', '']) {
      expect(() => parseInsecureRegistries([bad]), bad).toThrow(/--insecure-registry/);
    }
  });
});
