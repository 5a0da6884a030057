/**
 * Configuration of the test environment, read once from the process environment.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** K8S_VERSION is the Kubernetes release tools/k8s/go.mod pins (keep in sync with build.sh). */
export const K8S_VERSION = 'v1.34.4';

/** BUILD_COMMAND is what builds the binaries when they are missing. */
export const BUILD_COMMAND = 'bash tools/k8s/build.sh';

/** TestEnvConfig says where the binaries are and how long startup may take. */
export type TestEnvConfig = Readonly<{
  /** Folder holding kube-apiserver, etcd, kubectl and helm. */
  binDir: string;
  /** Deadline for etcd and kube-apiserver to become ready, in milliseconds. */
  startTimeoutMs: number;
  /** Keep the temporary folder (certs, logs, etcd data) after stop, for debugging. */
  keep: boolean;
}>;

/**
 * loadTestEnvConfig reads SKIFF_K8S_BIN_DIR (or SKIFF_CACHE, default ~/.cache/skiff),
 * SKIFF_TESTENV_TIMEOUT_MS (default 90000) and SKIFF_TESTENV_KEEP=1.
 */
export function loadTestEnvConfig(env: NodeJS.ProcessEnv = process.env): TestEnvConfig {
  const cache = env.SKIFF_CACHE || join(homedir(), '.cache', 'skiff');
  const timeout = Number(env.SKIFF_TESTENV_TIMEOUT_MS || 90_000);
  return Object.freeze({
    binDir: env.SKIFF_K8S_BIN_DIR || join(cache, 'k8s', K8S_VERSION, 'bin'),
    startTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 90_000,
    keep: env.SKIFF_TESTENV_KEEP === '1',
  });
}
