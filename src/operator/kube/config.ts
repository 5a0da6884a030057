/**
 * Where the operator's Kubernetes credentials come from, decided once from options and the
 * environment. The only file of this folder that reads `process.env`.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** SERVICE_ACCOUNT_TOKEN is where a pod's service-account token is mounted. */
export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** KubeSource says which credentials to load: kubeconfig files (merged in order) or the pod's service account. */
export type KubeSource = Readonly<{ kind: 'files'; files: readonly string[] }> | Readonly<{ kind: 'in-cluster' }>;

/**
 * kubeSource picks the credentials: an explicit kubeconfig path, else `KUBECONFIG` (a
 * path list), else the service account when running in a pod, else `~/.kube/config`.
 */
export function kubeSource(
  options: { kubeconfig?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
  tokenExists: (path: string) => boolean = existsSync,
): KubeSource {
  if (options.kubeconfig) return Object.freeze({ kind: 'files', files: Object.freeze([options.kubeconfig]) });
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f.length > 0);
  if (listed.length > 0) return Object.freeze({ kind: 'files', files: Object.freeze(listed) });
  if (env.KUBERNETES_SERVICE_HOST && tokenExists(SERVICE_ACCOUNT_TOKEN)) return Object.freeze({ kind: 'in-cluster' });
  const home = env.HOME || homedir();
  return Object.freeze({ kind: 'files', files: Object.freeze([join(home, '.kube', 'config')]) });
}
