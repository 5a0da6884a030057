/**
 * The operator tier's world, all real: the shared test API server (CRDs installed, a fresh
 * namespace per file), a nats-server, a registry holding the fixture components, `skiff host`
 * processes that heartbeat every second, and operators — in-process or as `skiff operator`
 * processes. Nothing here is a stand-in for Skiff code.
 */
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNats } from '../../src/nats/connection.js';
import { Kube } from '../../src/operator/kube/index.js';
import { DEFAULT_OPERATOR_CONFIG, Operator, type OperatorConfig } from '../../src/operator/operator.js';
import { parseReference, pushComponent } from '../../src/runtime/oci/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import {
  type Cluster,
  connect,
  createNamespace,
  installCrds,
  type Manifest,
  resourcePath,
  waitFor,
} from '../k8s/cluster.js';
import { startRegistry, type TestRegistry } from '../oci/registry.js';
import { type CliRun, runCli } from '../support/cli.js';
import { type FixtureName, fixturePath } from '../support/fixtures.js';
import { type NatsServerOptions, startNats, type TestNatsServer } from '../support/nats.js';

export type { Manifest };
export { waitFor };

/** Stack is one test file's world. */
export interface Stack {
  cluster: Cluster;
  nats: TestNatsServer;
  registry: TestRegistry;
  namespace: string;
  /** image returns the registry reference of a fixture component (pushed on first use). */
  image(fixture: FixtureName): Promise<string>;
  stop(): Promise<void>;
}

/** startStack brings up the API server connection, NATS, a registry and a namespace. */
export async function startStack(prefix = 'op', natsOptions: NatsServerOptions = {}): Promise<Stack> {
  const cluster = await connect();
  await installCrds(cluster);
  const namespace = await createNamespace(cluster, prefix);
  const nats = await startNats(natsOptions);
  const registry = await startRegistry();
  const pushed = new Map<string, string>();
  return {
    cluster,
    nats,
    registry,
    namespace,
    async image(fixture) {
      const known = pushed.get(fixture);
      if (known) return known;
      const bytes = await readFile(await fixturePath(fixture));
      const ref = `${registry.host}/fixtures/${fixture}:1`;
      await pushComponent(parseReference(ref), bytes, { label: ref, insecure: [registry.host] });
      pushed.set(fixture, ref);
      return ref;
    },
    async stop() {
      await registry.stop();
      await nats.stop();
      await cluster.release();
    },
  };
}

/** HostProcess is a `skiff host` child process. */
export interface HostProcess {
  id: string;
  run: CliRun;
  httpPort: number;
  /** get sends an HTTP request for a virtual host to this host. */
  get(vhost: string, path?: string): Promise<{ status: number; text: string }>;
}

/** startHost runs `skiff host` against the stack's NATS with a 1 s heartbeat (`env` adds to its environment). */
export async function startHost(
  stack: Stack,
  id: string,
  labels: Record<string, string> = {},
  env: NodeJS.ProcessEnv = {},
): Promise<HostProcess> {
  const args = ['host', '--nats', stack.nats.url, '--name', id, '--port', '0', '--metrics-port', '0'];
  args.push('--bind', '127.0.0.1', '--heartbeat-seconds', '1');
  for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
  const run = runCli(args, {
    SKIFF_LOG_LEVEL: 'info',
    SKIFF_WORKDIR: join(tmpdir(), `skiff-op-work-${id}-${process.pid}`),
    ...env,
  });
  const match = await run.waitFor(/ready; http port (\d+)/, 60_000);
  const httpPort = Number(match[1]);
  return { id, run, httpPort, get: (vhost, path = '/') => httpGet(httpPort, vhost, path) };
}

/** httpGet sends GET `path` to address:port (loopback by default) with a Host header. */
export async function httpGet(
  port: number,
  vhost: string,
  path = '/',
  address = '127.0.0.1',
): Promise<{ status: number; text: string }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, headers: { host: vhost }, timeout: 5_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** operatorConfig is the configuration tests run operators with: this file's namespace, free ports. */
export function operatorConfig(stack: Stack, identity: string, over: Partial<OperatorConfig> = {}): OperatorConfig {
  return {
    ...DEFAULT_OPERATOR_CONFIG,
    namespaces: [stack.namespace],
    leaseNamespace: stack.namespace,
    hostNamespace: stack.namespace,
    identity,
    healthPort: 0,
    metricsPort: 0,
    bind: '127.0.0.1',
    ...over,
  };
}

/** InProcessOperator is an Operator running in the test process. */
export interface InProcessOperator {
  operator: Operator;
  stop(): Promise<void>;
}

/** startOperator runs an Operator in the test process (through `kube` when given, e.g. via a proxy). */
export async function startOperator(
  stack: Stack,
  identity = 'op-1',
  over: Partial<OperatorConfig> = {},
  kube: Kube = Kube.load({ kubeconfig: stack.cluster.info.kubeconfig }),
): Promise<InProcessOperator> {
  const nc = await connectNats({ servers: [stack.nats.url] }, { name: `test-operator ${identity}` });
  const logger = createLogger({ level: process.env.SKIFF_TEST_LOG ?? 'silent' });
  const operator = new Operator(operatorConfig(stack, identity, over), { kube, nc, logger });
  await operator.start();
  return {
    operator,
    async stop() {
      await operator.stop();
      await nc.close();
    },
  };
}

/** startOperatorProcess runs `skiff operator` as a child process. */
export function startOperatorProcess(stack: Stack, identity: string, extra: string[] = []): CliRun {
  const args = ['operator', '--nats', stack.nats.url, '--kubeconfig', stack.cluster.info.kubeconfig];
  args.push('--namespace', stack.namespace, '--lease-namespace', stack.namespace, '--identity', identity);
  args.push('--health-port', '0', '--metrics-port', '0', '--bind', '127.0.0.1', ...extra);
  return runCli(args, { SKIFF_LOG_LEVEL: 'info' });
}

/** helloWorkload is a Workload serving the hello fixture at `vhost`. */
export function helloWorkload(namespace: string, name: string, image: string, extra: Manifest = {}): Manifest {
  return {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      components: [{ name: 'hello', image }],
      hostInterfaces: [
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

/** applyWorkload server-side-applies a Workload as a person with kubectl would. */
export async function applyWorkload(stack: Stack, manifest: Manifest): Promise<Manifest> {
  const path = resourcePath('workloads', manifest.metadata.namespace, manifest.metadata.name);
  const res = await stack.cluster.http.send(
    'PATCH',
    `${path}?fieldManager=kubectl&force=true&fieldValidation=Strict`,
    manifest,
    'application/apply-patch+yaml',
  );
  if (res.status !== 200 && res.status !== 201) throw new Error(`apply failed (${res.status}): ${res.text}`);
  return res.body as Manifest;
}

/** getWorkload reads a Workload (undefined once gone). */
export async function getWorkload(stack: Stack, name: string): Promise<Manifest | undefined> {
  const res = await stack.cluster.http.send('GET', resourcePath('workloads', stack.namespace, name));
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`get ${name} failed (${res.status}): ${res.text}`);
  return res.body as Manifest;
}

/** deleteWorkload deletes a Workload (the finalizer then runs). */
export async function deleteWorkload(stack: Stack, name: string): Promise<void> {
  const res = await stack.cluster.http.send('DELETE', resourcePath('workloads', stack.namespace, name));
  if (res.status !== 200 && res.status !== 202 && res.status !== 404)
    throw new Error(`delete failed (${res.status}): ${res.text}`);
}

/** condition returns one condition of an object's status. */
export function condition(obj: Manifest | undefined, type: string): Manifest | undefined {
  return (obj?.status?.conditions ?? []).find((c: Manifest) => c.type === type);
}

/** waitReady waits until a Workload is Ready=True for its current generation and returns it. */
export async function waitReady(stack: Stack, name: string, ms = 60_000): Promise<Manifest> {
  return waitFor(
    `${name} Ready`,
    async () => {
      const w = await getWorkload(stack, name);
      const ready = condition(w, 'Ready');
      return ready?.status === 'True' && w?.status?.observedGeneration === w?.metadata.generation ? w : undefined;
    },
    ms,
  );
}

/** applyHostConfig server-side-applies the HostConfig `hosts` in the stack's namespace. */
export async function applyHostConfig(stack: Stack, spec: Manifest): Promise<void> {
  const body = {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'HostConfig',
    metadata: { name: 'hosts', namespace: stack.namespace },
    spec,
  };
  const res = await stack.cluster.http.send(
    'PATCH',
    `${resourcePath('hostconfigs', stack.namespace, 'hosts')}?fieldManager=kubectl&force=true&fieldValidation=Strict`,
    body,
    'application/apply-patch+yaml',
  );
  if (res.status >= 300) throw new Error(`apply HostConfig failed (${res.status}): ${res.text}`);
}
