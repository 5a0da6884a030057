/**
 * Configuration of the e2e cluster, read once from the process environment.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { K8S_VERSION } from '../testenv/config.js';

/** ClusterConfig says where binaries and caches are, which address ranges the cluster uses, and its deadlines. */
export type ClusterConfig = Readonly<{
  /** repo is the checkout whose Dockerfile and manifests are used. */
  repo: string;
  /** binDir holds the Kubernetes binaries built by tools/k8s/build.sh. */
  binDir: string;
  /** cacheDir holds image archives and buildah storage (SKIFF_CACHE/cluster). */
  cacheDir: string;
  /** nodeName is the one node's name. */
  nodeName: string;
  /** podCidr is the node's pod range (CNI bridge, host-local IPAM). */
  podCidr: string;
  /** serviceCidr is the ClusterIP range; its first address is the `kubernetes` Service. */
  serviceCidr: string;
  /** bridge is the CNI bridge interface the tooling creates and removes. */
  bridge: string;
  /** startTimeoutMs bounds each bring-up step (SKIFF_CLUSTER_TIMEOUT_MS). */
  startTimeoutMs: number;
  /** install says whether to build the Skiff image and install Skiff with its chart (SKIFF_CLUSTER_INSTALL=0 skips). */
  install: boolean;
  /** lockWaitMs is how long a start waits for another cluster on the machine to stop (SKIFF_CLUSTER_LOCK_WAIT_MS). */
  lockWaitMs: number;
  /** keep leaves the state folder (logs, certificates) after teardown (SKIFF_CLUSTER_KEEP=1). */
  keep: boolean;
}>;

/**
 * loadClusterConfig reads SKIFF_CACHE, SKIFF_K8S_BIN_DIR, SKIFF_CLUSTER_TIMEOUT_MS,
 * SKIFF_CLUSTER_INSTALL, SKIFF_CLUSTER_LOCK_WAIT_MS (default 15 min) and SKIFF_CLUSTER_KEEP.
 */
export function loadClusterConfig(env: NodeJS.ProcessEnv = process.env): ClusterConfig {
  const cache = env.SKIFF_CACHE || join(homedir(), '.cache', 'skiff');
  const timeout = Number(env.SKIFF_CLUSTER_TIMEOUT_MS || 180_000);
  const lockWait = Number(env.SKIFF_CLUSTER_LOCK_WAIT_MS || 900_000);
  return Object.freeze({
    repo: fileURLToPath(new URL('../..', import.meta.url)),
    binDir: env.SKIFF_K8S_BIN_DIR || join(cache, 'k8s', K8S_VERSION, 'bin'),
    cacheDir: join(cache, 'cluster'),
    nodeName: 'skiff-node',
    podCidr: '10.244.0.0/24',
    serviceCidr: '10.97.0.0/24',
    bridge: 'skiff0',
    startTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 180_000,
    install: env.SKIFF_CLUSTER_INSTALL !== '0',
    lockWaitMs: Number.isFinite(lockWait) && lockWait >= 0 ? lockWait : 900_000,
    keep: env.SKIFF_CLUSTER_KEEP === '1',
  });
}
