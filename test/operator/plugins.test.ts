/**
 * HostConfig `spec.plugins` reaches the hosts, on the real API server with real `skiff host`
 * processes standing in for the host pods (LocalKubelet): a disabled capability is not
 * announced, so a Workload needing it stays unscheduled with a reason naming it while one
 * without it runs; keyvalue on memory serves a workload without touching NATS, while a
 * named instance selecting NATS still reaches it; keyvalue on the filesystem writes into the
 * pod's `spec.dataDir` directory.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNats } from '../../src/nats/connection.js';
import { resourcePath } from '../k8s/cluster.js';
import { KITCHEN_SINK_GRANTS } from '../support/host.js';
import type { LocalKubelet } from './kubelet.js';
import { hostPods, type PodStack, startPodStack } from './pods.js';
import {
  applyHostConfig,
  applyWorkload,
  condition,
  getWorkload,
  helloWorkload,
  httpGet,
  type Manifest,
  type Stack,
  waitFor,
  waitReady,
} from './stack.js';

let bench: PodStack;
let stack: Stack;
let kubelet: LocalKubelet;
let nc: NatsConnection;
let ip: string;

beforeAll(async () => {
  bench = await startPodStack('opplug', 'plug-op');
  ({ stack, kubelet, ip } = bench);
  nc = await connectNats({ servers: [stack.nats.url] }, { name: 'test plugins' });
});

afterAll(async () => {
  await nc?.close();
  await bench?.stop();
});

const api = (path: string) => stack.cluster.http.send('GET', path).then((r) => r.body as Manifest);
const pods = () => hostPods(stack);

/** onePod waits until the HostConfig has exactly one host pod, whose args satisfy `ok`, with a live Host. */
async function onePod(ok: (args: string[]) => boolean): Promise<Manifest> {
  return waitFor(
    'one host pod of the current template, heartbeating',
    async () => {
      const list = await pods();
      const pod = list.length === 1 && !list[0]?.metadata.deletionTimestamp ? list[0] : undefined;
      if (!pod || !ok(pod.spec.containers[0].args)) return undefined;
      const host = await api(resourcePath('hosts', stack.namespace, pod.metadata.name));
      return kubelet.httpPort(pod.metadata.name) && host?.status?.interfaces ? pod : undefined;
    },
    120_000,
  );
}

/** sinkWorkload is the kitchen-sink guest with every capability it imports, plus `extra` grants. */
async function sinkWorkload(name: string, extra: Manifest[] = []): Promise<Manifest> {
  const image = await stack.image('kitchen-sink');
  return helloWorkload(stack.namespace, name, image, {
    components: [{ name: 'sink', image }],
    hostInterfaces: [
      {
        namespace: 'wasi',
        package: 'http',
        interfaces: ['incoming-handler'],
        config: { host: `${name}.${stack.namespace}.test` },
      },
      ...KITCHEN_SINK_GRANTS,
      ...extra,
    ],
  });
}

const get = (pod: Manifest, name: string, path: string) =>
  httpGet(kubelet.httpPort(pod.metadata.name)!, `${name}.${stack.namespace}.test`, path, ip);

describe('HostConfig spec.plugins', () => {
  it('hosts with messaging disabled run a Workload without it; one granting messaging stays unscheduled, named', async () => {
    await applyHostConfig(stack, { replicas: 1, plugins: { messaging: { enabled: false } } });
    const pod = await onePod((args) => args.join(' ').includes('--disable-plugin messaging'));
    const host = await api(resourcePath('hosts', stack.namespace, pod.metadata.name));
    expect(host.status.interfaces).toContain('wasi:keyvalue/store');
    expect(host.status.interfaces.filter((i: string) => i.startsWith('wasmcloud:messaging'))).toEqual([]);

    await applyWorkload(stack, helloWorkload(stack.namespace, 'plain', await stack.image('hello-js')));
    await applyWorkload(stack, await sinkWorkload('talker'));
    await waitReady(stack, 'plain');
    expect((await get(pod, 'plain', '/')).status).toBe(200);

    const w = await waitFor('talker unscheduled', async () => {
      const x = await getWorkload(stack, 'talker');
      return condition(x, 'Scheduled')?.status === 'False' && x?.status?.observedGeneration === 1 ? x : undefined;
    });
    expect(condition(w, 'Scheduled')?.reason).toBe('NoMatchingHosts');
    expect(condition(w, 'Scheduled')?.message).toBe(
      'no host has wasmcloud:messaging/consumer@0.2.0, wasmcloud:messaging/handler@0.2.0',
    );
    expect(condition(w, 'Ready')).toMatchObject({ status: 'False', reason: 'NoMatchingHosts' });
    expect(w.status.placements ?? []).toEqual([]);
  });

  it('keyvalue on memory serves a workload without NATS; a named instance selecting nats still reaches NATS', async () => {
    const durable = {
      namespace: 'wasi',
      package: 'keyvalue',
      interfaces: ['store', 'atomics', 'batch'],
      version: '0.2.0-draft',
      name: 'durable',
      config: { backend: 'nats' },
    };
    await applyWorkload(stack, await sinkWorkload('counter', [durable]));
    // Messaging back on, keyvalue on memory: the pod is replaced with the new flags.
    await applyHostConfig(stack, { replicas: 1, plugins: { keyvalue: { backend: 'memory' } } });
    const pod = await onePod((args) => {
      const line = args.join(' ');
      return line.includes('--keyvalue-backend memory') && !line.includes('--disable-plugin');
    });
    const w = await waitReady(stack, 'counter', 120_000);
    expect(w.status.placements.map((p: Manifest) => p.host)).toEqual([pod.metadata.name]);
    // The workload that needed messaging is placed now that the hosts provide it.
    await waitReady(stack, 'talker', 120_000);

    for (const expected of [1, 2]) {
      const res = await get(pod, 'counter', '/kv/incr?bucket=counts&key=hits');
      expect(res, res.text).toMatchObject({ status: 200 });
      expect(JSON.parse(res.text).value).toBe(expected);
    }
    const named = await get(pod, 'counter', '/kv/incr?bucket=durable&key=hits');
    expect(named.status, named.text).toBe(200);
    const streams: string[] = [];
    for await (const s of (await jetstreamManager(nc)).streams.names()) streams.push(s);
    const ns = stack.namespace;
    expect(streams.filter((s) => s.endsWith(`_${ns}_durable`))).toHaveLength(1);
    expect(streams.filter((s) => s.endsWith(`_${ns}_counts`))).toEqual([]);
  });

  it('keyvalue on the filesystem keeps its data in the pod data directory spec.dataDir asks for', async () => {
    await applyHostConfig(stack, {
      replicas: 1,
      dataDir: { sizeLimit: '64Mi' },
      plugins: { keyvalue: { backend: 'filesystem' } },
    });
    const pod = await onePod((args) => args.join(' ').includes('--keyvalue-backend filesystem'));
    expect(pod.spec.volumes).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '64Mi' } });
    await waitFor(
      'counter running on the new pod',
      async () => {
        const w = await getWorkload(stack, 'counter');
        const running = (w?.status?.placements ?? []).filter((p: Manifest) => p.state === 'Running');
        return running.length === 1 && running[0].host === pod.metadata.name && condition(w, 'Ready')?.status === 'True'
          ? w
          : undefined;
      },
      120_000,
    );
    const res = await get(pod, 'counter', '/kv/incr?bucket=files&key=hits&delta=7');
    expect(res, res.text).toMatchObject({ status: 200, text: '{"value":7}' });
    const file = join(kubelet.dataDir(pod.metadata.name), 'keyvalue', stack.namespace, 'files', 'hits');
    expect(await readFile(file, 'utf8')).toBe('7');
  });
});
