/**
 * Checks before anything starts: root, the Debian tools .ci/run installs, and the
 * Kubernetes binaries tools/k8s/build.sh builds. Each failure says how to fix it.
 */
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { hasChart } from './chart.js';
import type { ClusterConfig } from './config.js';
import { ClusterError } from './errors.js';
import { which } from './sh.js';

/** TOOLS are the machine's programs the cluster uses, with the Debian package that brings each. */
export const TOOLS: Readonly<Record<string, string>> = {
  containerd: 'containerd',
  ctr: 'containerd',
  runc: 'runc',
  buildah: 'buildah',
  podman: 'podman',
  debootstrap: 'debootstrap',
  iptables: 'iptables',
  conntrack: 'conntrack',
  ip: 'iproute2',
  'docker-registry': 'docker-registry',
  'nats-server': 'nats-server',
  openssl: 'openssl',
  gcc: 'gcc',
};

/** CLUSTER_BINARIES are the Kubernetes programs the cluster runs. */
export const CLUSTER_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
  'kubectl',
  'helm',
  'coredns',
] as const;

/** preflight throws a ClusterError naming what is missing and how to get it. */
export async function preflight(config: ClusterConfig): Promise<void> {
  if (config.install && !(await hasChart(config.repo))) {
    throw new ClusterError('SKIFF_CLUSTER_MISSING_TOOL', `${config.repo} has no charts/skiff to install Skiff with`);
  }
  if (process.getuid?.() !== 0) {
    throw new ClusterError('SKIFF_CLUSTER_NOT_ROOT', 'the e2e cluster runs a kubelet and containerd: run it as root');
  }
  const tools: string[] = [];
  for (const [tool, pkg] of Object.entries(TOOLS)) if (!(await which(tool))) tools.push(`${tool} (${pkg})`);
  if (tools.length > 0) {
    throw new ClusterError(
      'SKIFF_CLUSTER_MISSING_TOOL',
      `missing on this machine: ${tools.join(', ')}; \`bash .ci/run\` installs them (apt-get install)`,
    );
  }
  const binaries: string[] = [];
  for (const name of CLUSTER_BINARIES) {
    await access(join(config.binDir, name), constants.X_OK).catch(() => binaries.push(name));
  }
  if (binaries.length > 0) {
    throw new ClusterError(
      'SKIFF_CLUSTER_MISSING_TOOL',
      `Kubernetes binaries missing in ${config.binDir}: ${binaries.join(', ')}; build them with \`bash tools/k8s/build.sh\``,
    );
  }
}
