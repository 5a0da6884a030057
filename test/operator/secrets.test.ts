/**
 * `wasmcloud:secrets` end to end (real API server, nats-server, registry and `skiff host`
 * process): a Kubernetes Secret named by the grant's `secretFrom` reaches the guest through
 * `reveal`, a change to it rolls a new revision that reveals the new value, and the values
 * appear nowhere in the Workload's status, the namespace's Events, the operator's logs or
 * the host's output (both at debug level).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNats } from '../../src/nats/connection.js';
import { Kube } from '../../src/operator/kube/index.js';
import { Operator } from '../../src/operator/operator.js';
import { createLogger } from '../../src/telemetry/logger.js';
import {
  applyWorkload,
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

const FIRST = 'k8s-secret-first-v4lue';
const SECOND = 'k8s-secret-second-v4lue';

let stack: Stack;
let host: HostProcess;
let nc: NatsConnection;
let operator: Operator;
const operatorLogs: string[] = [];

beforeAll(async () => {
  stack = await startStack('opsec');
  host = await startHost(stack, 'sec-host', {}, { SKIFF_LOG_LEVEL: 'debug' });
  nc = await connectNats({ servers: [stack.nats.url] }, { name: 'test-operator sec' });
  const destination = { write: (line: string) => void operatorLogs.push(line) };
  const kube = Kube.load({ kubeconfig: stack.cluster.info.kubeconfig });
  operator = new Operator(operatorConfig(stack, 'op-sec'), {
    kube,
    nc,
    logger: createLogger({ level: 'debug', destination }),
  });
  await operator.start();
});

afterAll(async () => {
  await operator?.stop();
  await nc?.close();
  await host?.run.stop();
  await stack?.stop();
});

/** applySecret server-side-applies a Secret as kubectl would. */
async function applySecret(name: string, stringData: Record<string, string>): Promise<void> {
  const path = `/api/v1/namespaces/${stack.namespace}/secrets/${name}?fieldManager=kubectl&force=true`;
  const manifest = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: stack.namespace }, stringData };
  const res = await stack.cluster.http.send('PATCH', path, manifest, 'application/apply-patch+yaml');
  if (res.status !== 200 && res.status !== 201) throw new Error(`apply Secret failed (${res.status}): ${res.text}`);
}

const vhost = () => `vault.${stack.namespace}.test`;

async function reveal(key: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await host.get(vhost(), `/reveal?key=${key}`);
  return { status: res.status, body: JSON.parse(res.text) as Record<string, unknown> };
}

async function vault(): Promise<Manifest> {
  const image = await stack.image('secrets-js');
  return helloWorkload(stack.namespace, 'vault', image, {
    components: [{ name: 'web', image }],
    hostInterfaces: [
      { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], config: { host: vhost() } },
      {
        namespace: 'wasmcloud',
        package: 'secrets',
        interfaces: ['store', 'reveal'],
        version: '1.0.0',
        secretFrom: [{ name: 'db-credentials' }],
      },
    ],
  });
}

describe('operator: wasmcloud:secrets from a Kubernetes Secret', () => {
  it('reveals the Secret to the guest, and a changed Secret after the new revision rolls out', async () => {
    await applySecret('db-credentials', { password: FIRST });
    await applyWorkload(stack, await vault());
    const ready = await waitReady(stack, 'vault', 120_000);
    expect(ready.status.revision).toMatch(/^[0-9a-f]{16}$/);
    expect(await reveal('password')).toEqual({ status: 200, body: { key: 'password', tag: 'string', value: FIRST } });
    expect((await reveal('username')).status).toBe(404);

    await applySecret('db-credentials', { password: SECOND });
    await waitFor(
      'the new revision to reveal the new value',
      async () => (await reveal('password')).body.value === SECOND,
      60_000,
    );
    const rolled = await waitReady(stack, 'vault', 60_000);
    expect(rolled.status.revision).not.toBe(ready.status.revision);
  });

  it('keeps the values out of the status, Events, operator logs and host output', async () => {
    const events = await stack.cluster.kubectl('get', 'events.events.k8s.io', '-n', stack.namespace, '-o', 'json');
    const workload = JSON.stringify(await getWorkload(stack, 'vault'));
    const places = {
      'operator logs': operatorLogs.join(''),
      'host output': host.run.output(),
      Events: events.stdout,
      'Workload (spec and status)': workload,
    };
    // The places are real: the operator logged the starts and the host audited the reveals.
    expect(operatorLogs.join('')).toContain('starting on host');
    expect(host.run.output()).toContain('secret revealed');
    expect(workload).toContain('db-credentials');
    for (const [where, text] of Object.entries(places)) {
      for (const value of [FIRST, SECOND]) {
        for (const form of [value, Buffer.from(value).toString('base64')]) {
          expect(text.includes(form), `${where} shows a secret value`).toBe(false);
        }
      }
    }
  });
});
