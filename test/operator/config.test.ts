/**
 * Configuration the Kubernetes way, end to end (real API server, nats-server, registry and
 * `skiff host` process): ConfigMap and Secret volumes and config layers, a new revision when a
 * referenced object changes (no failed request), ConfigNotFound that heals by itself, large
 * contents sealed in the Object Store, imagePullSecrets — and no secret value in logs,
 * Events, status or `skiff ctl` output.
 */
import { readFile } from 'node:fs/promises';
import { jetstream } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as ctl } from '../../src/cli/ctl.js';
import { connectNats } from '../../src/nats/connection.js';
import { Kube } from '../../src/operator/kube/index.js';
import { Operator } from '../../src/operator/operator.js';
import { parseReference, pushComponent } from '../../src/runtime/oci/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { startRegistry, type TestRegistry } from '../oci/registry.js';
import { fixturePath } from '../support/fixtures.js';
import { KITCHEN_SINK_GRANTS } from '../support/host.js';
import {
  applyWorkload,
  condition,
  getWorkload,
  type HostProcess,
  helloWorkload,
  type Manifest,
  operatorConfig,
  type Stack,
  startHost,
  startStack,
  waitFor,
  waitReady,
} from './stack.js';

const SECRET = 'pa55-tenancy-secret';
const PULL_PASSWORD = 'pull-pw-tenancy';

let stack: Stack;
let host: HostProcess;
let nc: NatsConnection;
let operator: Operator;
let privateRegistry: TestRegistry | undefined;
const operatorLogs: string[] = [];

beforeAll(async () => {
  stack = await startStack('opcfg');
  host = await startHost(stack, 'cfg-host');
  nc = await connectNats({ servers: [stack.nats.url] }, { name: 'test-operator cfg' });
  // Everything the operator logs, at debug, to look for secrets afterwards.
  const destination = { write: (line: string) => void operatorLogs.push(line) };
  const logger = createLogger({ level: 'debug', destination });
  const kube = Kube.load({ kubeconfig: stack.cluster.info.kubeconfig });
  operator = new Operator(operatorConfig(stack, 'op-cfg'), { kube, nc, logger });
  await operator.start();
});

afterAll(async () => {
  await operator?.stop();
  await nc?.close();
  await host?.run.stop();
  await privateRegistry?.stop();
  await stack?.stop();
});

/** applyCore server-side-applies a ConfigMap or Secret as kubectl would. */
async function applyCore(kind: 'ConfigMap' | 'Secret', name: string, body: Manifest): Promise<Manifest> {
  const plural = kind === 'ConfigMap' ? 'configmaps' : 'secrets';
  const path = `/api/v1/namespaces/${stack.namespace}/${plural}/${name}?fieldManager=kubectl&force=true`;
  const manifest = { apiVersion: 'v1', kind, metadata: { name, namespace: stack.namespace }, ...body };
  const res = await stack.cluster.http.send('PATCH', path, manifest, 'application/apply-patch+yaml');
  if (res.status !== 200 && res.status !== 201) throw new Error(`apply ${kind} failed (${res.status}): ${res.text}`);
  return res.body as Manifest;
}

const vhost = (name: string) => `${name}.${stack.namespace}.test`;
const read = (name: string, path: string) => host.get(vhost(name), path);
const subject = () => `cfg.${stack.namespace}.orders`;

async function sinkWorkload(name: string, extraVolumes: Manifest[] = [], extraMounts: Manifest[] = []) {
  const image = await stack.image('kitchen-sink');
  const grants = KITCHEN_SINK_GRANTS.map((g) =>
    g.package === 'messaging' ? { ...g, config: {}, configFrom: [{ name: 'subs' }] } : g,
  );
  return helloWorkload(stack.namespace, name, image, {
    components: [
      {
        name: 'sink',
        image,
        config: { greeting: 'literal', mode: 'literal' },
        configFrom: [{ name: 'app' }],
        secretFrom: [{ name: 'creds' }],
        volumeMounts: [
          { name: 'app', mountPath: '/etc/app' },
          { name: 'creds', mountPath: '/etc/creds' },
          ...extraMounts,
        ],
      },
    ],
    hostInterfaces: [
      { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], config: { host: vhost(name) } },
      ...grants,
    ],
    volumes: [
      { name: 'app', configMap: { name: 'app' } },
      { name: 'creds', secret: { secretName: 'creds', items: [{ key: 'password', path: 'db/password' }] } },
      ...extraVolumes,
    ],
  });
}

describe('operator: ConfigMaps and Secrets', () => {
  it('mounts ConfigMap and Secret volumes read-only and layers config on components and host interfaces', async () => {
    await applyCore('ConfigMap', 'app', { data: { greeting: 'ahoy', 'app.yaml': 'port: 80\n' } });
    await applyCore('Secret', 'creds', { stringData: { password: SECRET } });
    await applyCore('ConfigMap', 'subs', { data: { subscriptions: subject() } });
    await applyWorkload(stack, await sinkWorkload('sink'));
    const w = await waitReady(stack, 'sink', 120_000);
    expect(w.status.revision).toMatch(/^[0-9a-f]{16}$/);
    expect(w.status.placements[0]).toMatchObject({ state: 'Running', revision: w.status.revision });
    expect(await read('sink', '/fs/read?path=/etc/app/greeting')).toEqual({ status: 200, text: 'ahoy' });
    expect(await read('sink', '/fs/read?path=/etc/creds/db/password')).toEqual({ status: 200, text: SECRET });
    const write = await host.get(vhost('sink'), '/fs/write?path=/etc/app/greeting');
    expect(write).toEqual({ status: 500, text: '{"error":"read-only"}' });
    const config = JSON.parse((await read('sink', '/config/all')).text).config;
    expect(config).toMatchObject({ greeting: 'ahoy', mode: 'literal', password: SECRET });
    // The messaging grant's subscriptions come from ConfigMap subs: a message reaches the handler.
    nc.publish(subject(), new TextEncoder().encode('order-1'));
    await waitFor('the handler stored the message', async () => {
      const got = await read('sink', `/kv/get?bucket=inbox&key=${subject()}`);
      if (got.status !== 200) nc.publish(subject(), new TextEncoder().encode('order-1'));
      return got.status === 200 ? got.text : undefined;
    });
  });

  it('rolls a new revision when a referenced ConfigMap changes, with no failed request', async () => {
    const before = await getWorkload(stack, 'sink');
    const statuses: number[] = [];
    let done = false;
    const loop = (async () => {
      while (!done && statuses.length < 5_000) statuses.push((await read('sink', '/hello')).status);
    })();
    await applyCore('ConfigMap', 'app', { data: { greeting: 'v2', 'app.yaml': 'port: 80\n' } });
    const w = await waitFor(
      'the new revision serving',
      async () => {
        const x = await getWorkload(stack, 'sink');
        const placed = x?.status?.placements?.[0];
        return x?.status?.revision !== before?.status?.revision &&
          condition(x, 'Ready')?.status === 'True' &&
          placed?.revision === x?.status?.revision
          ? x
          : undefined;
      },
      120_000,
    );
    expect(await read('sink', '/fs/read?path=/etc/app/greeting')).toEqual({ status: 200, text: 'v2' });
    done = true;
    await loop;
    expect(w.metadata.generation, 'no new generation').toBe(before?.metadata.generation);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('rolls a new revision when a referenced Secret changes (polled by name: the operator cannot list Secrets)', async () => {
    const before = await getWorkload(stack, 'sink');
    await applyCore('Secret', 'creds', { stringData: { password: `${SECRET}-2` } });
    await waitFor(
      'the rotated Secret served',
      async () => {
        const x = await getWorkload(stack, 'sink');
        if (x?.status?.revision === before?.status?.revision) return undefined;
        const got = await read('sink', '/fs/read?path=/etc/creds/db/password');
        return got.text === `${SECRET}-2` ? got : undefined;
      },
      60_000,
    );
    expect((await getWorkload(stack, 'sink'))?.metadata.generation).toBe(before?.metadata.generation);
  });

  it('reports ConfigNotFound naming a missing reference, and heals by itself when it appears', async () => {
    const image = await stack.image('hello-js');
    await applyWorkload(
      stack,
      helloWorkload(stack.namespace, 'late', image, {
        components: [{ name: 'hello', image, configFrom: [{ name: 'late-config' }] }],
      }),
    );
    const w = await waitFor('ConfigNotFound', async () => {
      const x = await getWorkload(stack, 'late');
      return condition(x, 'Ready')?.reason === 'ConfigNotFound' ? x : undefined;
    });
    expect(condition(w, 'Ready')).toMatchObject({ status: 'False' });
    expect(condition(w, 'Ready')?.message).toContain(`ConfigMap late-config not found in namespace ${stack.namespace}`);
    expect(condition(w, 'Stalled')?.status).toBe('False');
    expect(w.status.placements?.every((p: Manifest) => p.state === 'Pending')).toBe(true);
    await applyCore('ConfigMap', 'late-config', { data: { greeting: 'late' } });
    await waitReady(stack, 'late', 120_000);
    expect(await read('late', '/')).toMatchObject({ status: 200 });
  });

  it('sends contents over 512 KiB sealed through the Object Store, by digest', async () => {
    const big = 'b'.repeat(700 * 1024);
    await applyCore('ConfigMap', 'big', { data: { blob: big } });
    await applyWorkload(
      stack,
      await sinkWorkload('big', [{ name: 'big', configMap: { name: 'big' } }], [{ name: 'big', mountPath: '/big' }]),
    );
    await waitReady(stack, 'big', 120_000);
    expect((await read('big', '/fs/read?path=/big/blob')).text.length).toBe(big.length);
    const os = await new Objm(jetstream(nc)).open(`skiff-sources-${stack.namespace}`);
    const objects: string[] = [];
    for (const info of await os.list())
      objects.push(Buffer.from((await os.getBlob(info.name)) ?? []).toString('latin1'));
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.some((o) => o.includes('bbbbbbbb') || o.includes(Buffer.from('bbbbbb').toString('base64')))).toBe(
      false,
    );
  });

  it('pulls with the credentials of the named imagePullSecret', async () => {
    privateRegistry = await startRegistry({ kind: 'basic', user: 'puller', password: PULL_PASSWORD });
    const image = `${privateRegistry.host}/private/hello-js:1`;
    const bytes = new Uint8Array(await readFile(await fixturePath('hello-js')));
    await pushComponent(parseReference(image), bytes, {
      label: image,
      credentials: { username: 'puller', password: PULL_PASSWORD },
      insecure: [privateRegistry.host],
    });
    const workload = helloWorkload(stack.namespace, 'private', image, {
      components: [{ name: 'hello', image, imagePullSecret: 'regcred' }],
    });
    await applyWorkload(stack, workload);
    await waitFor('a missing pull secret', async () => {
      const x = await getWorkload(stack, 'private');
      return condition(x, 'Ready')?.reason === 'ConfigNotFound' ? x : undefined;
    });
    const auths = { [privateRegistry.host]: { username: 'puller', password: PULL_PASSWORD } };
    await applyCore('Secret', 'regcred', {
      type: 'kubernetes.io/dockerconfigjson',
      stringData: { '.dockerconfigjson': JSON.stringify({ auths }) },
    });
    await waitReady(stack, 'private', 120_000);
    expect(await read('private', '/')).toEqual({ status: 200, text: 'hello from skiff' });
  });

  it('keeps secret values out of logs, Events, status and skiff ctl output', async () => {
    const events = await stack.cluster.kubectl('get', 'events.events.k8s.io', '-n', stack.namespace, '-o', 'json');
    const workloads = await stack.cluster.kubectl('get', 'wl', '-n', stack.namespace, '-o', 'json');
    const printed: string[] = [];
    const io = { out: (t: string) => void printed.push(t), err: (t: string) => void printed.push(t) };
    for (const args of [['status'], ['status', '--json'], ['hosts', '--json']]) {
      expect(await ctl(['--nats', stack.nats.url, '--wait-ms', '500', ...args], io)).toBe(0);
    }
    const places = {
      'operator logs': operatorLogs.join(''),
      'host output': host.run.output(),
      Events: events.stdout,
      status: workloads.stdout,
      'skiff ctl': printed.join(''),
    };
    expect(printed.join('')).toContain(`${stack.namespace}/sink`);
    expect(operatorLogs.join('')).toContain('starting on host');
    for (const [where, text] of Object.entries(places)) {
      for (const value of [SECRET, Buffer.from(SECRET).toString('base64'), PULL_PASSWORD]) {
        expect(text.includes(value), `${where} shows a secret value`).toBe(false);
      }
    }
  });
});
