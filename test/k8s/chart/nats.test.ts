/**
 * The bundled NATS as the chart configures it: the rendered nats.conf, run by a real
 * nats-server (Debian's) with the environment the StatefulSet gives it, accepts the operator
 * only with the credentials the operator's own environment (also rendered) carries, and
 * serves JetStream. In account mode (ADR 0022) the init container's own command renders the
 * operator-mode configuration from the operator key, and the operator's users get in.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { createOperator } from '@nats-io/nkeys';
import { credsAuthenticator } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureAccount, NatsIdentity } from '../../../src/nats/accounts/index.js';
import { natsSettings } from '../../../src/nats/config.js';
import { connectNats } from '../../../src/nats/connection.js';
import { runCli } from '../../support/cli.js';
import { NATS_SERVER_BIN } from '../../support/nats.js';
import { freePort } from '../../support/ports.js';
import { type Manifest, waitFor } from '../cluster.js';
import { container, find, scratch, template } from './helm.js';

const SECRET = { token: 's3cret-token', user: 'skiff', password: 's3cret-password' } as Record<string, string>;
let server: ChildProcess | undefined;

afterEach(() => {
  server?.kill('SIGKILL');
  server = undefined;
});

/** envOf resolves a container's environment, reading secretKeyRefs from SECRET. */
function envOf(c: Manifest) {
  const env: Record<string, string> = {};
  for (const e of c.env as { name: string; value?: string; valueFrom?: { secretKeyRef?: { key: string } } }[]) {
    const key = e.valueFrom?.secretKeyRef?.key;
    if (e.value !== undefined) env[e.name] = e.value;
    else if (key !== undefined) env[e.name] = SECRET[key]!;
  }
  return env;
}

async function startBundled(
  auth: Record<string, unknown>,
): Promise<{ url: string; operatorEnv: Record<string, string> }> {
  const docs = await template(undefined, { 'nats.auth': auth });
  const dir = scratch('nats');
  await mkdir(dir);
  const conf = join(dir, 'nats.conf');
  const rendered: string = find(docs, 'ConfigMap').data['nats.conf'];
  // The pod's paths, moved into a temporary folder; ports come from the command line.
  await writeFile(conf, rendered.replace('/data', join(dir, 'data')).replace('/tmp/nats.pid', join(dir, 'nats.pid')));
  const [port, monitor] = [await freePort(), await freePort()];
  const sts = find(docs, 'StatefulSet');
  const c = container(sts, 'nats');
  expect(c.command).toEqual(['nats-server', '--config', '/etc/nats/nats.conf']);
  server = spawn(NATS_SERVER_BIN, ['--config', conf, '-a', '127.0.0.1', '-p', String(port), '-m', String(monitor)], {
    env: { ...process.env, POD_NAME: 'skiff-nats-0', ...envOf(c) },
    stdio: 'ignore',
  });
  await waitFor('nats-server healthz', async () => {
    const res = await fetch(`http://127.0.0.1:${monitor}/healthz?js-enabled-only=true`).catch(() => undefined);
    return res?.ok ? true : undefined;
  });
  const operatorEnv = envOf(container(find(docs, 'Deployment'), 'operator'));
  return { url: `nats://127.0.0.1:${port}`, operatorEnv };
}

const jwtCreds = (creds: string) => credsAuthenticator(new TextEncoder().encode(creds));

async function connectAs(env: Record<string, string>) {
  const settings = natsSettings({ flags: new Map() }, env);
  if (!settings) throw new Error('no SKIFF_NATS_URL');
  return connectNats(settings, { name: 'chart-test' });
}

describe('the bundled NATS', () => {
  it.each([
    ['token', { type: 'token', secretName: 'nats' }, 'SKIFF_NATS_TOKEN'],
    ['user and password', { type: 'userPassword', secretName: 'nats' }, 'SKIFF_NATS_PASSWORD'],
  ])('with a %s: the operator gets in with its environment, nobody gets in without', async (_what, auth, key) => {
    const { url, operatorEnv } = await startBundled(auth);
    const env = { ...operatorEnv, SKIFF_NATS_URL: url };
    const nc = await connectAs(env);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.getAccountInfo()).limits).toBeDefined();
    await nc.close();
    const wrong = { ...env, [key]: 'wrong' };
    await expect(connectAs(wrong)).rejects.toThrow(/auth/i);
    const anonymous = { SKIFF_NATS_URL: url };
    await expect(connectAs(anonymous)).rejects.toThrow(/auth/i);
  });

  it('without auth: JetStream is on and anyone may connect (NOTES.txt warns; see lifecycle)', async () => {
    const { url, operatorEnv } = await startBundled({ type: 'none', secretName: '' });
    expect(Object.keys(operatorEnv).filter((k) => k.startsWith('SKIFF_NATS_'))).toEqual(['SKIFF_NATS_URL']);
    const nc = await connectAs({ SKIFF_NATS_URL: url });
    expect((await (await jetstreamManager(nc)).getAccountInfo()).limits).toBeDefined();
    await nc.close();
  });

  it('in account mode: the init container renders operator mode from the key; the operator pushes accounts', async () => {
    const docs = await template(undefined, {
      'nats.accounts': { enabled: true, operatorSeedSecret: 'nats-operator' },
    });
    const dir = scratch('nats-accounts');
    await mkdir(join(dir, 'nats'), { recursive: true });
    await mkdir(join(dir, 'nats-accounts'));
    const seed = createOperator();
    await writeFile(join(dir, 'seed'), new TextDecoder().decode(seed.getSeed()));
    // The pod's paths, moved into the temporary folder.
    const local = (a: string) =>
      a
        .replace('/etc/skiff/nats-operator', dir)
        .replace('/etc/nats-accounts', join(dir, 'nats-accounts'))
        .replace('/data', join(dir, 'data'))
        .replace('/tmp/nats.pid', join(dir, 'nats.pid'));
    const sts = find(docs, 'StatefulSet');
    const init = (sts.spec.template.spec.initContainers as Manifest[]).find((c) => c.name === 'accounts')!;
    const rendered = runCli((init.args as string[]).map(local));
    expect(await rendered.exited).toBe(0);
    const conf = join(dir, 'nats', 'nats.conf');
    const text: string = find(docs, 'ConfigMap').data['nats.conf'];
    expect(text).toContain('include ../nats-accounts/accounts.conf');
    await writeFile(conf, local(text));
    const [port, monitor] = [await freePort(), await freePort()];
    server = spawn(NATS_SERVER_BIN, ['--config', conf, '-a', '127.0.0.1', '-p', String(port), '-m', String(monitor)], {
      env: { ...process.env, POD_NAME: 'skiff-nats-0' },
      stdio: 'ignore',
    });
    await waitFor('nats-server healthz', async () => {
      const res = await fetch(`http://127.0.0.1:${monitor}/healthz`).catch(() => undefined);
      return res?.ok ? true : undefined;
    });
    const operator = container(find(docs, 'Deployment'), 'operator');
    expect(operator.args).toContain('--nats-operator-seed=/etc/skiff/nats-operator/seed');
    const identity = new NatsIdentity(seed);
    const url = `nats://127.0.0.1:${port}`;
    const sys = await connectNats({ servers: [url] }, { authenticator: jwtCreds((await identity.systemUser()).creds) });
    expect(await ensureAccount(sys, await identity.namespaceAccountJwt('shop'))).toBe(true);
    await sys.close();
    const user = await identity.operatorNamespaceUser('shop');
    const nc = await connectNats({ servers: [url] }, { authenticator: jwtCreds(user.creds) });
    expect((await (await jetstreamManager(nc)).getAccountInfo()).limits).toBeDefined();
    await nc.close();
    // without credentials nobody gets in
    await expect(connectAs({ SKIFF_NATS_URL: url })).rejects.toThrow(/auth/i);
  });
});
