/**
 * A host in account mode (ADR 0022) against a real nats-server in operator mode: the host
 * announces its own user key, a start brings the namespace's user JWT for it, the guest's
 * capabilities run on that namespace's account (keyvalue and blobstore on (thread,
 * namespace) connections, the rest on the main thread's namespace connection, shared by the
 * namespace's workloads and closed with the last), and a start without credentials fails
 * with a catalogued error.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { createOperator, createUser } from '@nats-io/nkeys';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOG } from '../../src/api/index.js';
import {
  credentials,
  ensureAccount,
  NamespaceConnections,
  NamespaceCredentials,
  NatsIdentity,
  natsServerConfig,
} from '../../src/nats/accounts/index.js';
import { ControlClient } from '../../src/nats/client.js';
import { putSealed, seal } from '../../src/nats/sources.js';
import { HostControl } from '../../src/runtime/control/index.js';
import { VirtualHostRouter } from '../../src/runtime/http/routers.js';
import { accountPlugins } from '../../src/runtime/plugins/index.js';
import { fixturePath } from '../support/fixtures.js';
import { KITCHEN_SINK_GRANTS, startTestHost, type TestHost, workload } from '../support/host.js';
import { startNats, type TestNatsServer } from '../support/nats.js';
import { waitFor } from '../support/wait.js';

const identity = new NatsIdentity(createOperator());
const HOST = 'acct-host';
let server: TestNatsServer;
let wasm: string;
let t: TestHost;
let control: HostControl;
let accounts: NamespaceConnections;
let client: ControlClient;
const open: NatsConnection[] = [];

async function connectAs(creds: { creds: string } | Promise<{ creds: string }>): Promise<NatsConnection> {
  const nc = await connect({
    servers: server.url,
    authenticator: credsAuthenticator(new TextEncoder().encode((await creds).creds)),
  });
  open.push(nc);
  return nc;
}

function sink(name: string, namespace: string) {
  const w = workload(
    name,
    [{ name: 'sink', image: `file://${wasm}` }],
    [
      ...KITCHEN_SINK_GRANTS,
      {
        namespace: 'wasi',
        package: 'http',
        interfaces: ['incoming-handler'],
        config: { host: `${name}.${namespace}` },
      },
    ],
    { namespace },
  );
  w.metadata.uid = `uid-${namespace}-${name}`;
  return w;
}

const call = (name: string, namespace: string, path: string, body?: string) =>
  t.request(path, { host: `${name}.${namespace}`, method: body === undefined ? 'GET' : 'POST', body });

beforeAll(async () => {
  [server, wasm] = await Promise.all([
    startNats({ configure: ({ resolverDir }) => natsServerConfig(identity, { resolverDir }) }),
    fixturePath('kitchen-sink'),
  ]);
  const sys = await connectAs(identity.systemUser());
  for (const ns of ['alpha', 'beta']) await ensureAccount(sys, await identity.namespaceAccountJwt(ns));
  const settings = { servers: [server.url] };
  accounts = new NamespaceConnections({ settings, credentials: new NamespaceCredentials(), name: HOST });
  const plugins = accountPlugins(accounts, { timeoutMs: 2000, threads: { settings } });
  t = await startTestHost({ plugins, router: new VirtualHostRouter() });
  Object.defineProperty(t.host, 'id', { value: HOST });
  const hostKey = createUser();
  const hostNc = await connectAs(credentials(await identity.hostControlUserJwt(HOST, hostKey.getPublicKey()), hostKey));
  control = new HostControl({ nc: hostNc, host: t.host, logger: t.host.logger, accounts });
  await control.start();
  client = new ControlClient(await connectAs(identity.operatorControlUser()), { timeoutMs: 10_000 });
});

afterAll(async () => {
  await control?.stop();
  await t?.stop();
  await accounts?.close();
  await Promise.all(open.map((nc) => nc.close()));
  await server?.stop();
});

async function jwtFor(namespace: string): Promise<{ jwt: string }> {
  const [hb] = await client.ping(500);
  return { jwt: await identity.namespaceUserJwt(namespace, hb!.natsUser!) };
}

describe('a host in account mode', () => {
  it('announces its own user key, not the one of anybody else', async () => {
    const [hb] = await client.ping(500);
    expect(hb?.natsUser).toBe(accounts.credentials.userKey);
    expect(hb?.natsUser).toMatch(/^U[A-Z2-7]{55}$/);
  });

  it("refuses a start that brings no credentials for the workload's namespace", async () => {
    await expect(client.start(HOST, sink('web', 'beta'))).rejects.toMatchObject({
      code: 'SKIFF_NATS_CREDENTIALS_MISSING',
      message: expect.stringContaining('namespace beta'),
    });
    expect(ERROR_CATALOG.SKIFF_NATS_CREDENTIALS_MISSING?.next).toBe('retry');
    const other = await identity.namespaceUserJwt('beta', createUser().getPublicKey());
    await expect(
      client.start(HOST, sink('web', 'beta'), undefined, { natsCredentials: { jwt: other } }),
    ).rejects.toMatchObject({
      code: 'SKIFF_NATS_CREDENTIALS_INVALID',
    });
    expect(await client.status(HOST)).toEqual([]);
  });

  it("runs a guest's capabilities on its namespace's account, one main-thread connection per namespace", async () => {
    const natsCredentials = await jwtFor('alpha');
    await client.start(HOST, sink('one', 'alpha'), undefined, { natsCredentials });
    // a second workload of the namespace needs no credentials of its own: the host holds them
    await client.start(HOST, sink('two', 'alpha'));
    expect(await call('one', 'alpha', '/kv/set?bucket=orders&key=k1', 'v1')).toMatchObject({ status: 200 });
    expect(await call('two', 'alpha', '/kv/get?bucket=orders&key=k1')).toEqual({ status: 200, text: 'v1' });
    expect(await call('one', 'alpha', '/blob/put?container=photos&name=p', 'pixels')).toMatchObject({ status: 200 });
    expect(accounts.namespaces).toEqual(['alpha']);

    // The data is in alpha's account, under the names ADR 0006 gives it, and nowhere else.
    const alpha = await connectAs(identity.operatorNamespaceUser('alpha'));
    const kv = await new Kvm(alpha).open('skiff_alpha_orders');
    expect((await kv.get('k1'))?.string()).toBe('v1');
    const alphaStreams: string[] = [];
    for await (const n of (await jetstreamManager(alpha)).streams.names()) alphaStreams.push(n);
    expect(alphaStreams.sort()).toEqual(['KV_skiff-config', 'KV_skiff_alpha_orders', 'OBJ_skiff_alpha_photos']);
    // keyvalue and blobstore ran on the workload thread's own alpha connection, not through the main thread
    expect(t.logs.filter((l) => String(l.msg).startsWith('plugin copy unavailable'))).toEqual([]);
    const beta = await connectAs(identity.operatorNamespaceUser('beta'));
    const names: string[] = [];
    for await (const n of (await jetstreamManager(beta)).streams.names()) names.push(n);
    expect(names).toEqual([]);

    await client.stop(HOST, 'alpha/one');
    expect(accounts.namespaces).toEqual(['alpha']);
    expect(await call('two', 'alpha', '/kv/get?bucket=orders&key=k1')).toEqual({ status: 200, text: 'v1' });
    await client.stop(HOST, 'alpha/two');
    expect(accounts.namespaces).toEqual([]);
  });

  it("keeps a guest's messages inside its namespace's account", async () => {
    await client.start(HOST, sink('pub', 'beta'), undefined, { natsCredentials: await jwtFor('beta') });
    const alpha = await connectAs(identity.operatorNamespaceUser('alpha'));
    const beta = await connectAs(identity.operatorNamespaceUser('beta'));
    const heardByAlpha = alpha.subscribe('>');
    const heardByBeta = beta.subscribe('news.>', { max: 1 });
    await Promise.all([alpha.flush(), beta.flush()]);
    expect(await call('pub', 'beta', '/msg/publish?subject=news.today', 'hello')).toMatchObject({ status: 200 });
    for await (const m of heardByBeta) expect([m.subject, m.string()]).toEqual(['news.today', 'hello']);
    // alpha saw nothing before its own marker
    alpha.publish('marker');
    for await (const m of heardByAlpha) {
      expect(m.subject).toBe('marker');
      break;
    }
    await client.stop(HOST, 'beta/pub');
  });

  it("fetches sealed sources from the workload's namespace account, not from another's", async () => {
    const alpha = await connectAs(identity.operatorNamespaceUser('alpha'));
    const plain = JSON.stringify({ data: { greeting: Buffer.from('sealed-hello').toString('base64') } });
    const stored = await putSealed(alpha, 'alpha', seal(new TextEncoder().encode(plain)));
    const withConfig = (namespace: string) => {
      const w = sink('cfg', namespace);
      w.spec.components[0]!.configFrom = [{ name: 'app' }];
      return w;
    };
    const sources = [{ kind: 'ConfigMap' as const, name: 'app', stored }];
    await client.start(HOST, withConfig('alpha'), undefined, { revision: 'r1', sources });
    expect(await call('cfg', 'alpha', '/config/get?key=greeting')).toEqual({
      status: 200,
      text: JSON.stringify({ key: 'greeting', value: 'sealed-hello' }),
    });
    // beta's account holds no such store: the same pointer is worthless there
    await expect(
      client.start(HOST, withConfig('beta'), undefined, {
        revision: 'r1',
        sources,
        natsCredentials: await jwtFor('beta'),
      }),
    ).rejects.toMatchObject({ code: 'SKIFF_SOURCE_UNAVAILABLE' });
    await client.stop(HOST, 'alpha/cfg');
    await client.stop(HOST, 'beta/cfg');
  });

  it('keeps serving across a NATS restart: pushed accounts persist, every connection logs in again', async () => {
    await client.start(HOST, sink('again', 'alpha'), undefined, { natsCredentials: await jwtFor('alpha') });
    expect(await call('again', 'alpha', '/kv/set?bucket=drill&key=k', 'before')).toMatchObject({ status: 200 });
    await server.restart();
    // Guest calls fail fast while NATS is away (ADR 0006); they succeed again once every
    // connection (control, main-thread namespace, thread namespace) has logged in again.
    await waitFor('the guest reaches its bucket again', async () => {
      const r = await call('again', 'alpha', '/kv/get?bucket=drill&key=k');
      return r.status === 200 && r.text === 'before' ? r : undefined;
    });
    expect(await call('again', 'alpha', '/kv/set?bucket=drill&key=k', 'after')).toMatchObject({ status: 200 });
    expect((await client.status(HOST, 'alpha/again'))[0]).toMatchObject({ state: 'Running' });
    await client.stop(HOST, 'alpha/again');
  });

  it('takes a newer JWT over its control subject when the one it holds expires', async () => {
    const sys = await connectAs(identity.systemUser());
    await ensureAccount(sys, await identity.namespaceAccountJwt('gamma'));
    const [hb] = await client.ping(500);
    const key = hb!.natsUser!;
    const short = await identity.namespaceUserJwt('gamma', key, { expiresInSeconds: 6 });
    await client.start(HOST, sink('exp', 'gamma'), undefined, { natsCredentials: { jwt: short } });
    expect(await call('exp', 'gamma', '/kv/set?bucket=b&key=k', 'v')).toMatchObject({ status: 200 });
    // The server cuts the namespace connection when its JWT expires: the guest's calls fail.
    await waitFor(
      'the expired JWT cuts the guest off',
      async () => (await call('exp', 'gamma', '/kv/get?bucket=b&key=k')).status !== 200 || undefined,
      20_000,
    );
    // A newer JWT over the control subject; the connection logs in again by itself.
    await client.credentials(HOST, 'gamma', await identity.namespaceUserJwt('gamma', key));
    await waitFor(
      'the guest reaches its bucket again',
      async () => {
        const r = await call('exp', 'gamma', '/kv/get?bucket=b&key=k');
        return r.status === 200 && r.text === 'v' ? r : undefined;
      },
      20_000,
    );
    // the expired one is refused now
    await expect(client.credentials(HOST, 'gamma', short)).rejects.toMatchObject({
      code: 'SKIFF_NATS_CREDENTIALS_INVALID',
    });
    await client.stop(HOST, 'gamma/exp');
  });
});
