/**
 * startCluster: the whole bring-up of the e2e cluster (images, certificates, containerd,
 * control plane, registry, node, Skiff) and the handle that tears it down again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Credentials } from '../testenv/http.js';
import { writeKubeconfig } from '../testenv/kubeconfig.js';
import { type Managed, waitUntil } from '../testenv/process.js';
import { makeClusterCerts } from './certs.js';
import { CHART_NAMESPACE, CHART_RELEASE, installChart } from './chart.js';
import type { ClusterConfig } from './config.js';
import { containerdPaths, containerdReady, importImage, startContainerd } from './containerd.js';
import { startControllers, startEtcdAndApiServer } from './control-plane.js';
import { ClusterError } from './errors.js';
import { buildImages, type Images } from './images.js';
import { installDns, type Kubectl } from './install.js';
import { acquireLock, releaseLock } from './lock.js';
import { readSysctls } from './machine.js';
import { firstHost, guardPodTraffic, machineAddress, namespaces } from './network.js';
import { startKubelet, startKubeProxy, waitNodeReady } from './node.js';
import { preflight } from './preflight.js';
import { startRegistry } from './registry.js';
import { run } from './sh.js';
import { sweep, type TeardownState, teardown } from './teardown.js';
import { notReady } from './wait.js';

/** ClusterInfo is what a client needs to use a running cluster (serialisable). */
export type ClusterInfo = Readonly<{
  kubeconfig: string;
  binDir: string;
  /** registry is the plain-HTTP registry's `host:port`, reachable from this machine and from pods. */
  registry: string;
  credentials: Credentials;
  nodeName: string;
  /** natsUrl is where Skiff's NATS is found from pods (cluster DNS). */
  natsUrl: string;
  /** dnsIp is the kube-dns Service address (pods resolve `NAME.NS.svc` through it; this machine does not). */
  dnsIp: string;
  /**
   * images names the images loaded into the node (skiff is absent when Skiff was not
   * installed); skiffNext is the same image under another name, for tests that change a
   * HostConfig's image.
   */
  images: Readonly<{ skiff?: string; skiffNext?: string; nats: string; pause: string; coredns: string }>;
  stateDir: string;
}>;

/** Cluster is a running cluster and its teardown. */
export type Cluster = ClusterInfo & {
  /** stop tears everything down and resolves with what is left (empty: nothing). */
  stop: () => Promise<string[]>;
};

/** SKIFF_NEXT is a second name of the Skiff image (a HostConfig image change replaces its pods). */
const SKIFF_NEXT = 'localhost/skiff/skiff:e2e-next';

/** NATS_URL is where pods find the NATS the chart installs. */
const NATS_URL = `nats://${CHART_RELEASE}-nats.${CHART_NAMESPACE}.svc:4222`;

/** dnsIp is the kube-dns Service's fixed ClusterIP within the service range (x.y.z.10). */
function dnsIp(serviceCidr: string): string {
  return firstHost(serviceCidr).replace(/\.\d+$/, '.10');
}

/** startCluster brings the cluster up; `log` receives one line per step. Any failure tears down what was started. */
export async function startCluster(config: ClusterConfig, log: (line: string) => void): Promise<Cluster> {
  const started = Date.now();
  const step = (what: string) => log(`cluster: ${what} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  await preflight(config);
  const stateDir = await mkdtemp(join(tmpdir(), 'skiff-cluster-'));
  const lockFile = join(config.cacheDir, 'cluster.lock');
  const containerd = containerdPaths(stateDir);
  const kubeProxy = join(config.binDir, 'kube-proxy');
  const stale = await acquireLock(lockFile, stateDir, config.lockWaitMs, log).catch(async (err: unknown) => {
    await rm(stateDir, { recursive: true, force: true });
    throw err;
  });
  if (stale) {
    log(`cluster: sweeping what a crashed cluster left (${stale.stateDir})`);
    const left = await sweep(
      {
        stateDir: stale.stateDir,
        bridge: config.bridge,
        containerd: containerdPaths(stale.stateDir),
        processes: [],
        kubeProxy,
        keep: false,
      },
      log,
    );
    if (left.length > 0) log(`cluster: still left from the crashed run: ${left.join('; ')}`);
  }
  const processes: Managed[] = [];
  const nodeIp = machineAddress();
  const dns = dnsIp(config.serviceCidr);
  const adminKubeconfig = join(stateDir, 'kubeconfig');
  const kubectl: Kubectl = (args, timeoutMs = 60_000, input) =>
    run(join(config.binDir, 'kubectl'), ['--kubeconfig', adminKubeconfig, ...args], { timeoutMs, input });
  const state: TeardownState = {
    stateDir,
    bridge: config.bridge,
    containerd,
    processes,
    kubectl,
    sysctls: await readSysctls(),
    netnsBefore: await namespaces(),
    kubeProxy,
    keep: config.keep,
  };
  const stop = async () => {
    const left = await teardown(state, log);
    await releaseLock(lockFile);
    return left;
  };
  try {
    const deadline = () => Date.now() + config.startTimeoutMs;
    step(`state in ${stateDir}; building images`);
    const images: Promise<Images> = buildImages(config, stateDir, config.install, log);
    images.catch(() => undefined);
    const certs = await makeClusterCerts(stateDir, nodeIp, firstHost(config.serviceCidr), config.nodeName);
    const cp = { binDir: config.binDir, stateDir, nodeIp, serviceCidr: config.serviceCidr, podCidr: config.podCidr };
    const plane = await startEtcdAndApiServer({ ...cp, certs, adminKubeconfig, deadline: deadline() }, processes);
    await writeKubeconfig(adminKubeconfig, plane.admin);
    const nodeKubeconfig = join(stateDir, 'node.kubeconfig');
    await writeKubeconfig(nodeKubeconfig, { ...plane.admin, certFile: certs.nodeCert, keyFile: certs.nodeKey });
    step(`API server ${plane.server} ready`);
    await startControllers({ ...cp, certs, adminKubeconfig, deadline: deadline() }, processes);
    const registry = await startRegistry(nodeIp, stateDir, deadline());
    processes.push(registry.process);
    step(`registry ${registry.address} ready`);
    const built = await images;
    step('images built');
    const network = { bridge: config.bridge, podCidr: config.podCidr, ipamDir: join(stateDir, 'ipam') };
    const runtime = await startContainerd(containerd, built.pause.ref, network, join(stateDir, 'containerd.log'));
    processes.push(runtime);
    const outcome = await waitUntil(runtime, () => containerdReady(containerd), deadline());
    if (outcome !== 'ready') throw await notReady(runtime, 'answering on its socket', outcome);
    for (const image of [built.pause, built.nats, built.coredns])
      await importImage(containerd, image.archive, image.ref);
    if (built.skiff) await importImage(containerd, built.skiff.archive, built.skiff.ref, [SKIFF_NEXT]);
    step('containerd ready, images imported');
    await guardPodTraffic(config.podCidr);
    const node = {
      ...cp,
      nodeName: config.nodeName,
      dnsIp: dns,
      caCert: certs.caCert,
      containerdSocket: containerd.socket,
      nodeKubeconfig,
      adminKubeconfig,
    };
    const kubelet = await startKubelet(node);
    processes.push(kubelet);
    processes.push(await startKubeProxy(node));
    await waitNodeReady(kubelet, plane.admin, config.nodeName, deadline());
    step(`node ${config.nodeName} Ready`);
    await installDns(config.repo, kubectl, dns, built.coredns.ref, config.startTimeoutMs);
    step(`cluster DNS at ${dns} ready`);
    if (config.install && built.skiff) {
      const images = { skiff: built.skiff.ref, nats: built.nats.ref };
      await installChart(config.repo, config.binDir, adminKubeconfig, kubectl, stateDir, images, config.startTimeoutMs);
      step('Skiff installed with its Helm chart (NATS and the operator are ready)');
    }
    return {
      kubeconfig: adminKubeconfig,
      binDir: config.binDir,
      registry: registry.address,
      credentials: plane.admin,
      nodeName: config.nodeName,
      natsUrl: NATS_URL,
      dnsIp: dns,
      images: {
        pause: built.pause.ref,
        nats: built.nats.ref,
        coredns: built.coredns.ref,
        ...(built.skiff ? { skiff: built.skiff.ref, skiffNext: SKIFF_NEXT } : {}),
      },
      stateDir,
      stop,
    };
  } catch (err) {
    const left = await stop().catch((e: Error) => [`teardown failed: ${e.message}`]);
    if (left.length > 0) log(`cluster: left after a failed start: ${left.join('; ')}`);
    if (err instanceof ClusterError) throw err;
    throw new ClusterError('SKIFF_CLUSTER_COMMAND', `cluster start failed: ${(err as Error).message}`, { cause: err });
  }
}
