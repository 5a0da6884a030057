/**
 * NATS account mode end to end (ADR 0022): a real API server, nats-server in operator mode,
 * `skiff operator --nats-operator-seed` and `skiff host --nats-accounts` processes. The
 * operator pushes each namespace's account before its first start and hands the host a
 * user JWT with each start; the guests of two namespaces use a bucket of the same name and
 * each sees only its own, which lives in its own namespace's account.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { createOperator, createUser } from '@nats-io/nkeys';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentials, NatsIdentity, natsServerConfig } from '../../src/nats/accounts/index.js';
import { createNamespace, resourcePath } from '../k8s/cluster.js';
import { type CliRun, runCli } from '../support/cli.js';
import { KITCHEN_SINK_GRANTS } from '../support/host.js';
import { LocalKubelet, podIp } from './kubelet.js';
import {
  applyHostConfig,
  applyWorkload,
  condition,
  httpGet,
  type Manifest,
  type Stack,
  startOperatorProcess,
  startStack,
  waitFor,
} from './stack.js';

const operatorKey = createOperator();
const identity = new NatsIdentity(operatorKey);
const HOST = 'acct-op-host';
let stack: Stack;
let other: string;
let third: string;
let seedFile: string;
let operator: CliRun;
let host: CliRun;
let httpPort: number;
let kubelet: LocalKubelet;
let ip: string;
const open: NatsConnection[] = [];

function sink(namespace: string, name: string, image: string, extra: Manifest = {}): Manifest {
  return {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      components: [{ name: 'sink', image }],
      hostInterfaces: [
        ...KITCHEN_SINK_GRANTS,
        {
          namespace: 'wasi',
          package: 'http',
          interfaces: ['incoming-handler'],
          config: { host: `${name}.${namespace}.test` },
        },
      ],
      ...extra,
    },
  };
}

async function readyIn(namespace: string, name: string): Promise<Manifest> {
  return waitFor(
    `${namespace}/${name} Ready`,
    async () => {
      const res = await stack.cluster.http.send('GET', resourcePath('workloads', namespace, name));
      const w = res.status === 200 ? (res.body as Manifest) : undefined;
      return condition(w, 'Ready')?.status === 'True' ? w : undefined;
    },
    120_000,
  );
}

async function namespaceConnection(namespace: string): Promise<NatsConnection> {
  const creds = await identity.operatorNamespaceUser(namespace);
  const nc = await connect({
    servers: stack.nats.url,
    authenticator: credsAuthenticator(new TextEncoder().encode(creds.creds)),
  });
  open.push(nc);
  return nc;
}

/** post sends POST `path` with `body` to the host for a virtual host. */
async function post(
  vhost: string,
  path: string,
  body: string,
  port = httpPort,
  address = '127.0.0.1',
): Promise<number> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(
      { host: address, port, path, method: 'POST', headers: { host: vhost }, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  stack = await startStack('opacct', { configure: ({ resolverDir }) => natsServerConfig(identity, { resolverDir }) });
  other = await createNamespace(stack.cluster, 'opacct-other');
  third = await createNamespace(stack.cluster, 'opacct-third');
  const dir = mkdtempSync(join(tmpdir(), 'skiff-acct-'));
  seedFile = join(dir, 'operator.nk');
  writeFileSync(seedFile, `${new TextDecoder().decode(operatorKey.getSeed())}\n`, { mode: 0o600 });
  // The host's control user, as the operator would put it into the host pod's Secret.
  const controlKey = createUser();
  const hostCreds = join(dir, 'host.creds');
  writeFileSync(
    hostCreds,
    credentials(await identity.hostControlUserJwt(HOST, controlKey.getPublicKey()), controlKey).creds,
    { mode: 0o600 },
  );
  host = runCli(
    ['host', '--nats', stack.nats.url, '--nats-creds', hostCreds, '--nats-accounts', '--name', HOST].concat([
      '--port',
      '0',
      '--metrics-port',
      '0',
      '--bind',
      '127.0.0.1',
      '--heartbeat-seconds',
      '1',
    ]),
    { SKIFF_LOG_LEVEL: 'info', SKIFF_WORKDIR: join(dir, 'work') },
  );
  httpPort = Number((await host.waitFor(/ready; http port (\d+)/, 60_000))[1]);
  operator = startOperatorProcess(stack, 'acct-op', ['--namespace', other, '--nats-operator-seed', seedFile]);
  ip = podIp();
  kubelet = new LocalKubelet(stack, ip);
  kubelet.start();
});

afterAll(async () => {
  await kubelet?.stop();
  await operator?.stop();
  await host?.stop();
  await Promise.all(open.map((nc) => nc.close()));
  await stack?.stop();
});

describe('NATS account mode through the operator', () => {
  it("runs each namespace's guest on its own account; a guest cannot reach the other's bucket", async () => {
    const image = await stack.image('kitchen-sink');
    const a = stack.namespace;
    await applyWorkload(stack, sink(a, 'sink', image));
    await applyWorkload(stack, sink(other, 'sink', image));
    await Promise.all([readyIn(a, 'sink'), readyIn(other, 'sink')]);

    const put = (ns: string, key: string, value: string) =>
      post(`sink.${ns}.test`, `/kv/set?bucket=orders&key=${key}`, value);
    const get = (ns: string, key: string) => httpGet(httpPort, `sink.${ns}.test`, `/kv/get?bucket=orders&key=${key}`);
    expect(await put(a, 'mine', 'from-a')).toBe(200);
    expect(await put(other, 'theirs', 'from-b')).toBe(200);
    expect(await get(a, 'mine')).toEqual({ status: 200, text: 'from-a' });
    expect((await get(a, 'theirs')).status).toBe(404);
    expect((await get(other, 'mine')).status).toBe(404);

    // Each namespace's bucket is in its own account: same guest-visible name, separate data.
    const bucketA = await new Kvm(await namespaceConnection(a)).open(`skiff_${a}_orders`);
    expect((await bucketA.get('mine'))?.string()).toBe('from-a');
    expect(await bucketA.get('theirs')).toBeNull();
    const streamsB: string[] = [];
    for await (const s of (await jetstreamManager(await namespaceConnection(other))).streams.names()) streamsB.push(s);
    expect(streamsB).toContain(`KV_skiff_${other}_orders`);
    expect(streamsB.some((s) => s.includes(`_${a}_`))).toBe(false);
  });

  it('gives each host pod control credentials of its own, in a Secret, and runs it in account mode', async () => {
    await applyHostConfig(stack, { replicas: 1, labels: { pool: 'pods' } });
    const pod = await waitFor('a host pod running', async () => kubelet.running()[0], 60_000);
    const res = await stack.cluster.http.send('GET', `/api/v1/namespaces/${stack.namespace}/pods/${pod}`);
    expect(res.body.spec.containers[0].args).toContain('--nats-accounts');
    const secret = await stack.cluster.http.send('GET', `/api/v1/namespaces/${stack.namespace}/secrets/${pod}-nats`);
    expect(secret.status).toBe(200);
    const image = await stack.image('kitchen-sink');
    await applyWorkload(stack, sink(stack.namespace, 'onpod', image, { hostSelector: { pool: 'pods' } }));
    const ready = await readyIn(stack.namespace, 'onpod');
    expect(ready.status.placements[0]).toMatchObject({ host: pod, state: 'Running' });
    const port = kubelet.httpPort(pod)!;
    const vhost = `onpod.${stack.namespace}.test`;
    expect(await post(vhost, '/kv/set?bucket=orders&key=pod', 'from-pod', port, ip)).toBe(200);
    // the same bucket as the namespace's other guest: one namespace, one account
    expect(await httpGet(port, vhost, '/kv/get?bucket=orders&key=mine', ip)).toEqual({ status: 200, text: 'from-a' });
    expect(await httpGet(httpPort, `sink.${stack.namespace}.test`, '/kv/get?bucket=orders&key=pod')).toEqual({
      status: 200,
      text: 'from-pod',
    });
  });

  it('refuses a HostConfig that picks a backend other than NATS, and leaves its running pods alone', async () => {
    const before = kubelet.running();
    await applyHostConfig(stack, {
      replicas: 1,
      labels: { pool: 'pods' },
      plugins: { keyvalue: { backend: 'memory' } },
    });
    const path = resourcePath('hostconfigs', stack.namespace, 'hosts');
    const refused = await waitFor('Ready=False UnsupportedInAccountMode', async () => {
      const hc = (await stack.cluster.http.send('GET', path)).body as Manifest;
      return condition(hc, 'Ready')?.reason === 'UnsupportedInAccountMode' ? hc : undefined;
    });
    expect(condition(refused, 'Ready')).toMatchObject({ status: 'False' });
    expect(condition(refused, 'Ready')?.message).toContain('spec.plugins.keyvalue.backend (memory)');
    expect(kubelet.running()).toEqual(before);
    await applyHostConfig(stack, { replicas: 1, labels: { pool: 'pods' } });
    await waitFor('the refusal to clear', async () => {
      const hc = (await stack.cluster.http.send('GET', path)).body as Manifest;
      return condition(hc, 'Ready')?.reason !== 'UnsupportedInAccountMode';
    });
  });

  it('with --nats-user-ttl, hands hosts newer JWTs before theirs expire', async () => {
    // The same operator key, now with 6 s user JWTs: it takes over the Lease from the first.
    await operator.stop();
    operator = startOperatorProcess(stack, 'acct-op-ttl', [
      '--namespace',
      other,
      '--namespace',
      third,
      '--nats-operator-seed',
      seedFile,
      '--nats-user-ttl',
      '6',
    ]);
    const image = await stack.image('kitchen-sink');
    await applyWorkload(stack, sink(third, 'brief', image));
    await readyIn(third, 'brief');
    const started = Date.now();
    expect(await post(`brief.${third}.test`, '/kv/set?bucket=orders&key=k', 'v')).toBe(200);
    // Three lifetimes later the guest still reaches its bucket: the connection was cut at each
    // expiry and logged in again with the newer JWT the operator had sent meanwhile.
    const answer = await waitFor(
      'the guest reaches its bucket three JWT lifetimes later',
      async () => {
        if (Date.now() - started < 18_000) return undefined;
        const r = await httpGet(httpPort, `brief.${third}.test`, '/kv/get?bucket=orders&key=k');
        return r.status === 200 ? r : undefined;
      },
      60_000,
    );
    expect(answer.text).toBe('v');
  });
});
