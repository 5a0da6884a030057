/**
 * The one node: a kubelet on the cluster's containerd (cgroupfs, swap and cgroup v1 allowed,
 * relaxed eviction, its own root, log and plugin folders below the state folder) and
 * kube-proxy in iptables mode (no conntrack or localhost-nodeport sysctls).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type Credentials, KubeHttp } from '../testenv/http.js';
import { freePorts } from '../testenv/ports.js';
import { type Managed, startProcess, waitUntil } from '../testenv/process.js';
import { notReady } from './wait.js';

/** NodeOptions are what the node needs from the rest of the cluster. */
export type NodeOptions = Readonly<{
  binDir: string;
  stateDir: string;
  nodeName: string;
  nodeIp: string;
  podCidr: string;
  /** dnsIp is the kube-dns Service address pods are given as their resolver. */
  dnsIp: string;
  caCert: string;
  containerdSocket: string;
  nodeKubeconfig: string;
  adminKubeconfig: string;
}>;

/** kubeletConfig is the KubeletConfiguration that works on this kind of machine. */
export function kubeletConfig(o: NodeOptions, port: number): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: o.nodeIp,
    port,
    readOnlyPort: 0,
    healthzPort: 0,
    cgroupDriver: 'cgroupfs',
    failSwapOn: false,
    failCgroupV1: false,
    containerRuntimeEndpoint: `unix://${o.containerdSocket}`,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: o.caCert } },
    authorization: { mode: 'Webhook' },
    clusterDomain: 'cluster.local',
    clusterDNS: [o.dnsIp],
    podCIDR: o.podCidr,
    serializeImagePulls: false,
    evictionHard: {
      'memory.available': '100Mi',
      'nodefs.available': '1%',
      'nodefs.inodesFree': '1%',
      'imagefs.available': '1%',
    },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    podLogsDir: join(o.stateDir, 'pod-logs'),
    volumePluginDir: join(o.stateDir, 'volume-plugins'),
    resolvConf: '/etc/resolv.conf',
  });
}

/** startKubelet writes the kubelet's configuration and starts it. */
export async function startKubelet(o: NodeOptions): Promise<Managed> {
  const [port] = (await freePorts(1)) as [number];
  const root = join(o.stateDir, 'kubelet');
  await mkdir(root, { recursive: true });
  const config = join(o.stateDir, 'kubelet.yaml');
  await writeFile(config, kubeletConfig(o, port));
  return startProcess(
    'kubelet',
    join(o.binDir, 'kubelet'),
    [
      `--config=${config}`,
      `--kubeconfig=${o.nodeKubeconfig}`,
      `--root-dir=${root}`,
      `--cert-dir=${join(root, 'pki')}`,
    ].concat([`--hostname-override=${o.nodeName}`, `--node-ip=${o.nodeIp}`]),
    join(o.stateDir, 'kubelet.log'),
  );
}

/** kubeProxyArgs are kube-proxy's flags (without --cleanup). */
export function kubeProxyArgs(o: NodeOptions, healthPort: number, metricsPort: number): string[] {
  return (
    [`--kubeconfig=${o.adminKubeconfig}`, `--hostname-override=${o.nodeName}`, '--proxy-mode=iptables']
      .concat([`--cluster-cidr=${o.podCidr}`, '--conntrack-max-per-core=0', '--conntrack-tcp-timeout-established=0'])
      .concat(['--conntrack-tcp-timeout-close-wait=0', '--iptables-localhost-nodeports=false'])
      .concat([`--healthz-bind-address=127.0.0.1:${healthPort}`, `--metrics-bind-address=127.0.0.1:${metricsPort}`])
      // v=2 logs each rule sync with its duration: how long a Service change takes to apply.
      .concat(['--v=2'])
  );
}

/** startKubeProxy starts kube-proxy in iptables mode. */
export async function startKubeProxy(o: NodeOptions): Promise<Managed> {
  const [health, metrics] = (await freePorts(2)) as [number, number];
  return startProcess(
    'kube-proxy',
    join(o.binDir, 'kube-proxy'),
    kubeProxyArgs(o, health, metrics),
    join(o.stateDir, 'kube-proxy.log'),
  );
}

type Condition = { type?: string; status?: string };

/** waitNodeReady resolves once the node reports Ready, failing early if the kubelet exits. */
export async function waitNodeReady(kubelet: Managed, admin: Credentials, nodeName: string, deadline: number) {
  const http = new KubeHttp(admin);
  try {
    const ready = async () => {
      const res = await http.send('GET', `/api/v1/nodes/${nodeName}`, undefined, undefined, 5_000);
      const conditions = (res.body?.status?.conditions ?? []) as Condition[];
      return res.status === 200 && conditions.some((c) => c.type === 'Ready' && c.status === 'True');
    };
    const outcome = await waitUntil(kubelet, ready, deadline, 500);
    if (outcome !== 'ready') throw await notReady(kubelet, `registered and Ready (node ${nodeName})`, outcome);
  } finally {
    http.close();
  }
}
