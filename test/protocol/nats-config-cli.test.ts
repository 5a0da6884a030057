/**
 * `skiff nats-config` prints a new operator key and the nats-server configuration for it; a
 * real nats-server started with that configuration (what the chart's bundled NATS does in
 * account mode) lets the operator's derived system user push a namespace account, and a
 * namespace user then uses JetStream in it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { createUser } from '@nats-io/nkeys';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureAccount, NatsIdentity, parseOperatorSeed } from '../../src/nats/accounts/index.js';
import { runCli } from '../support/cli.js';
import { startNats, type TestNatsServer } from '../support/nats.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-nats-config-'));
let server: TestNatsServer | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const run = runCli(['nats-config', ...args]);
  const code = await run.exited;
  return { code, out: run.output() };
}

describe('skiff nats-config', () => {
  it('makes an operator key and a server configuration the operator can push accounts to', async () => {
    const made = await cli(['--new-operator-seed']);
    expect(made.code).toBe(0);
    const seed = made.out.trim();
    expect(seed).toMatch(/^SO[A-Z2-7]+$/);
    const seedFile = join(dir, 'operator.nk');
    writeFileSync(seedFile, `${seed}\n`);
    server = await startNats({
      configure: async ({ resolverDir }) => {
        const rendered = await cli(['--operator-seed', seedFile, '--resolver-dir', resolverDir]);
        if (rendered.code !== 0) throw new Error(rendered.out);
        return rendered.out;
      },
    });
    const config = readFileSync(join(server.storeDir, 'server.conf'), 'utf8');
    const identity = new NatsIdentity(parseOperatorSeed(seed));
    expect(config).toContain(`system_account: "${identity.systemAccountKey}"`);

    const sys = await connect({
      servers: server.url,
      authenticator: credsAuthenticator(new TextEncoder().encode((await identity.systemUser()).creds)),
    });
    expect(await ensureAccount(sys, await identity.namespaceAccountJwt('shop'))).toBe(true);
    await sys.close();
    const shopCreds = await cli(['--operator-seed', seedFile, '--namespace-creds', 'shop']);
    expect(shopCreds.code).toBe(0);
    const nc = await connect({
      servers: server.url,
      authenticator: credsAuthenticator(new TextEncoder().encode(shopCreds.out)),
    });
    const kv = await new Kvm(nc).create('skiff_shop_cart');
    await kv.put('k', 'v');
    expect((await kv.get('k'))?.string()).toBe('v');
    await nc.close();

    // Credentials for a host started by hand and for skiff ctl: the host answers a ctl request.
    const hostFile = join(dir, 'h1.creds');
    expect((await cli(['--operator-seed', seedFile, '--host-creds', 'h1', '--out', hostFile])).code).toBe(0);
    const ctl = await cli(['--operator-seed', seedFile, '--ctl-creds']);
    expect(ctl.code).toBe(0);
    const host = await connect({ servers: server.url, authenticator: credsAuthenticator(readFileSync(hostFile)) });
    host.subscribe('skiff.host.h1.workload.status', { callback: (_e, m) => void m.respond('{"ok":true}') });
    await host.flush();
    const client = await connect({
      servers: server.url,
      authenticator: credsAuthenticator(new TextEncoder().encode(ctl.out)),
    });
    expect((await client.request('skiff.host.h1.workload.status', '{}', { timeout: 2000 })).string()).toBe(
      '{"ok":true}',
    );
    await Promise.all([host.close(), client.close()]);
    expect((await cli(['--operator-seed', seedFile, '--host-creds', 'not.a.token'])).code).toBe(1);
  });

  it('refuses a key that is not an operator key', async () => {
    const file = join(dir, 'user.nk');
    writeFileSync(file, new TextDecoder().decode(createUser().getSeed()));
    const res = await cli(['--operator-seed', file, '--resolver-dir', dir]);
    expect(res.code).toBe(1);
    expect(res.out).toContain('operator nkey seed');
    expect((await cli(['--resolver-dir', dir])).code).toBe(2);
  });
});
