/**
 * Authentication: hosts and clients connect with user/password or a token; wrong
 * credentials fail at once with a message that says what was refused.
 */
import { describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/nats/client.js';
import { natsSettings } from '../../src/nats/config.js';
import { connectNats, NatsConnectError, reconnectDelay } from '../../src/nats/connection.js';
import { HostControl } from '../../src/runtime/control/index.js';
import { runCli } from '../support/cli.js';
import { startTestHost } from '../support/host.js';
import { useNats } from '../support/nats.js';

function settingsOf(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i += 2) flags.set(argv[i]!.slice(2), [argv[i + 1]!]);
  return natsSettings({ flags }, env);
}

describe('user/password', () => {
  const nats = useNats({ user: 'skiff', pass: 's3cret' });

  it('a host and a client with the right password talk; a wrong password fails clearly', async () => {
    const url = nats().url;
    const hostNc = await connectNats(settingsOf(['--nats', url, '--nats-user', 'skiff', '--nats-password', 's3cret'])!);
    const t = await startTestHost();
    Object.defineProperty(t.host, 'id', { value: 'auth-host' });
    const control = new HostControl({ nc: hostNc, host: t.host, logger: t.host.logger });
    await control.start();
    // The password may come from the environment instead of the command line.
    const clientNc = await connectNats(
      settingsOf(['--nats', url, '--nats-user', 'skiff'], { SKIFF_NATS_PASSWORD: 's3cret' })!,
    );
    try {
      expect(await new ControlClient(clientNc).status('auth-host')).toEqual([]);
      const err = await connectNats(
        settingsOf(['--nats', url, '--nats-user', 'skiff', '--nats-password', 'wrong'])!,
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NatsConnectError);
      expect(err).toMatchObject({ code: 'SKIFF_NATS_AUTH' });
      expect((err as Error).message).toMatch(
        new RegExp(`^NATS at ${url} refused user "skiff" and its password \\(.*\\); check the --nats-\\* credentials$`),
      );
      const none = await connectNats(settingsOf(['--nats', url])!).catch((e: unknown) => e);
      expect(none).toMatchObject({ code: 'SKIFF_NATS_AUTH', message: expect.stringMatching(/refused no credentials/) });
    } finally {
      await control.stop();
      await t.stop();
      await hostNc.close();
      await clientNc.close();
    }
  });
});

describe('the CLI with user/password', () => {
  const nats = useNats({ user: 'skiff', pass: 's3cret' });

  it('skiff ctl with a wrong password exits 1 and says what was refused; the right one works', async () => {
    const bad = runCli(['ctl', '--nats', nats().url, '--nats-user', 'skiff', '--nats-password', 'nope', 'hosts']);
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/skiff ctl: NATS at nats:\/\/127\.0\.0\.1:\d+ refused user "skiff" and its password/);
    const good = runCli(['ctl', '--nats', nats().url, '--nats-user', 'skiff', 'hosts', '--wait-ms', '100'], {
      SKIFF_NATS_PASSWORD: 's3cret',
    });
    expect(await good.exited, good.output()).toBe(0);
    expect(good.output()).toContain('no hosts answered');
  });
});

describe('token', () => {
  const nats = useNats({ token: 'tok-123' });

  it('connects with the token and refuses a wrong one', async () => {
    const nc = await connectNats(settingsOf(['--nats', nats().url, '--nats-token', 'tok-123'])!);
    expect(nc.isClosed()).toBe(false);
    await nc.close();
    const err = await connectNats(settingsOf(['--nats', nats().url, '--nats-token', 'nope'])!).catch((e) => e);
    expect(err).toMatchObject({ code: 'SKIFF_NATS_AUTH', message: expect.stringMatching(/refused the token/) });
  });
});

describe('settings', () => {
  it('rejects ambiguous or incomplete credentials, and reads the environment', () => {
    expect(() => settingsOf(['--nats', 'nats://x:4222', '--nats-user', 'u'])).toThrow(
      '--nats-user and --nats-password go together',
    );
    expect(() => settingsOf(['--nats', 'nats://x:4222', '--nats-token', 't', '--nats-creds', '/c'])).toThrow(
      /choose one of/,
    );
    expect(() => settingsOf(['--nats', 'http://x'])).toThrow(/is not a NATS URL/);
    expect(settingsOf([], {})).toBeUndefined();
    expect(settingsOf([], { SKIFF_NATS_URL: 'nats://a:1,nats://b:2', SKIFF_NATS_TLS_CA: '/ca.pem' })).toMatchObject({
      servers: ['nats://a:1', 'nats://b:2'],
      tls: { caFile: '/ca.pem' },
    });
  });

  it('backs off exponentially up to a cap, with jitter', () => {
    expect(reconnectDelay(0, 5_000, () => 1)).toBe(100);
    expect(reconnectDelay(3, 5_000, () => 1)).toBe(800);
    expect(reconnectDelay(20, 5_000, () => 1)).toBe(5_000);
    expect(reconnectDelay(20, 5_000, () => 0)).toBe(2_500);
  });

  it('fails fast and clearly when nothing listens', async () => {
    const err = await connectNats({ servers: ['nats://127.0.0.1:1'] }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'SKIFF_NATS_UNREACHABLE',
      message: expect.stringMatching(/^cannot reach NATS at nats:\/\/127.0.0.1:1/),
    });
  });
});

describe('nkey', async () => {
  const { createUser } = await import('@nats-io/nkeys');
  const user = createUser();
  const dir = (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/skiff-nkey-`);
  const seedFile = `${dir}/user.nk`;
  const otherFile = `${dir}/other.nk`;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()));
  writeFileSync(otherFile, new TextDecoder().decode(createUser().getSeed()));
  const nats = useNats({ nkeyUser: user.getPublicKey() });

  it('connects with the seed and refuses another one', async () => {
    const nc = await connectNats(settingsOf(['--nats', nats().url, '--nats-nkey-seed', seedFile])!);
    await nc.flush();
    await nc.close();
    const err = await connectNats(settingsOf(['--nats', nats().url, '--nats-nkey-seed', otherFile])!).catch((e) => e);
    expect(err).toMatchObject({ code: 'SKIFF_NATS_AUTH', message: expect.stringMatching(/refused the nkey seed/) });
  });
});

describe('TLS', async () => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(`${(await import('node:os')).tmpdir()}/skiff-tls-`);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=skiff-test-ca',
  );
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(`${dir}/ext.cnf`, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '1',
    '-extfile',
    'ext.cnf',
  );
  const nats = useNats({ tls: { certFile: `${dir}/server.pem`, keyFile: `${dir}/server.key` } });

  it('connects over TLS trusting the given CA, and refuses a server it cannot verify', async () => {
    const url = nats().url.replace('nats://', 'tls://');
    const nc = await connectNats(settingsOf(['--nats', url, '--nats-tls-ca', `${dir}/ca.pem`])!);
    await nc.flush();
    await nc.close();
    const err = await connectNats(settingsOf(['--nats', url])!).catch((e) => e);
    expect(err).toBeInstanceOf(NatsConnectError);
  });
});
