/**
 * Starting and stopping etcd + kube-apiserver on free loopback ports, the way
 * controller-runtime's envtest does. Used by `npm run testenv` and the vitest global setup.
 */
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCerts } from './certs.js';
import { BUILD_COMMAND, K8S_VERSION, type TestEnvConfig } from './config.js';
import { TestEnvError } from './errors.js';
import { type Credentials, KubeHttp } from './http.js';
import { writeKubeconfig } from './kubeconfig.js';
import { freePorts } from './ports.js';
import { logTail, type Managed, startProcess, stopProcess, waitUntil } from './process.js';

/** BINARIES are the programs the test environment needs in the bin folder. */
export const BINARIES = ['etcd', 'kube-apiserver', 'kubectl', 'helm'] as const;

/** TestEnvInfo is what a client needs to reach a running test environment (serialisable). */
export type TestEnvInfo = Readonly<{
  kubeconfig: string;
  binDir: string;
  credentials: Credentials;
}>;

/** TestEnv is a running etcd + kube-apiserver. */
export type TestEnv = TestEnvInfo & {
  /** Temporary folder holding certificates, logs and etcd data. */
  dir: string;
  /** stop ends both processes and removes the temporary folder (unless config.keep). */
  stop: () => Promise<void>;
};

/** checkBinaries throws a TestEnvError naming the build command when a binary is missing. */
export async function checkBinaries(binDir: string): Promise<void> {
  const missing: string[] = [];
  for (const name of BINARIES) {
    await access(join(binDir, name), constants.X_OK).catch(() => missing.push(name));
  }
  if (missing.length > 0) {
    throw new TestEnvError(
      'SKIFF_TESTENV_BINARY_MISSING',
      `Kubernetes ${K8S_VERSION} test binaries missing in ${binDir}: ${missing.join(', ')}. ` +
        `Build them with \`${BUILD_COMMAND}\` (10-20 min cold, instant when cached).`,
    );
  }
}

const PORT_TAKEN = /address already in use|bind: address/i;

async function failure(p: Managed, what: string, outcome: string, timeoutMs: number): Promise<TestEnvError> {
  const tail = await logTail(p);
  if (outcome.startsWith('exited') && PORT_TAKEN.test(tail)) {
    return new TestEnvError('SKIFF_TESTENV_PORT_TAKEN', `${p.name}: port taken while starting (${what}).\n${tail}`);
  }
  if (outcome === 'timeout') {
    return new TestEnvError(
      'SKIFF_TESTENV_NOT_READY',
      `${p.name} not ${what} within ${timeoutMs} ms (raise SKIFF_TESTENV_TIMEOUT_MS if the machine is busy); log ${p.logFile}:\n${tail}`,
    );
  }
  return new TestEnvError('SKIFF_TESTENV_EXITED', `${p.name} ${outcome} before ${what}; log ${p.logFile}:\n${tail}`);
}

async function healthy(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return res.ok && ((await res.json()) as { health?: string }).health === 'true';
}

async function startOnce(config: TestEnvConfig, dir: string): Promise<TestEnv> {
  const bin = (name: string) => join(config.binDir, name);
  const certs = await makeCerts(dir);
  const [etcdClient, etcdPeer, apiPort] = (await freePorts(3)) as [number, number, number];
  const deadline = Date.now() + config.startTimeoutMs;
  const processes: Managed[] = [];
  const stopAll = async () => {
    for (const p of processes.reverse()) await stopProcess(p);
  };
  try {
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const etcd = startProcess(
      'etcd',
      bin('etcd'),
      [
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      join(dir, 'etcd.log'),
    );
    processes.push(etcd);
    const etcdOutcome = await waitUntil(etcd, () => healthy(`${etcdUrl}/health`), deadline);
    if (etcdOutcome !== 'ready') throw await failure(etcd, 'healthy', etcdOutcome, config.startTimeoutMs);

    const server = `https://127.0.0.1:${apiPort}`;
    const apiserver = startProcess(
      'kube-apiserver',
      bin('kube-apiserver'),
      [
        `--etcd-servers=${etcdUrl}`,
        `--secure-port=${apiPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${certs.servingCert}`,
        `--tls-private-key-file=${certs.servingKey}`,
        `--client-ca-file=${certs.caCert}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=RBAC',
        '--allow-privileged=true',
        `--service-account-issuer=${server}/`,
        `--service-account-key-file=${certs.serviceAccountPub}`,
        `--service-account-signing-key-file=${certs.serviceAccountKey}`,
        '--disable-admission-plugins=ServiceAccount',
      ],
      join(dir, 'kube-apiserver.log'),
    );
    processes.push(apiserver);
    const credentials: Credentials = {
      server,
      caFile: certs.caCert,
      certFile: certs.clientCert,
      keyFile: certs.clientKey,
    };
    const http = new KubeHttp(credentials);
    try {
      const ready = async () => (await http.send('GET', '/readyz', undefined, undefined, 5_000)).status === 200;
      const outcome = await waitUntil(apiserver, ready, deadline);
      if (outcome !== 'ready') throw await failure(apiserver, 'ready (/readyz)', outcome, config.startTimeoutMs);
    } finally {
      http.close();
    }
    const kubeconfig = join(dir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, credentials);
    let stopped = false;
    return {
      kubeconfig,
      binDir: config.binDir,
      credentials,
      dir,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopAll();
        if (!config.keep) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * startTestEnv starts etcd and kube-apiserver and resolves once /readyz answers. It fails
 * fast with a TestEnvError when a binary is missing or a process exits; a port taken
 * between choosing and binding is retried with fresh ports.
 */
export async function startTestEnv(config: TestEnvConfig): Promise<TestEnv> {
  await checkBinaries(config.binDir);
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-testenv-'));
    try {
      return await startOnce(config, dir);
    } catch (err) {
      if (!config.keep) await rm(dir, { recursive: true, force: true });
      if (err instanceof TestEnvError && err.code === 'SKIFF_TESTENV_PORT_TAKEN' && attempt < 3) continue;
      throw err;
    }
  }
}
