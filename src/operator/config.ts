/**
 * The operator's environment: what the downward API tells it in a pod. The only place the
 * operator reads `process.env`.
 */
import { hostname } from 'node:os';

/** OperatorEnv is the environment-derived part of the operator's configuration. */
export interface OperatorEnv {
  /** podName (SKIFF_POD_NAME) names this operator in the Lease when it runs in a pod. */
  readonly podName: string | undefined;
  /** podNamespace (SKIFF_POD_NAMESPACE) is the default Lease and Host namespace in a pod. */
  readonly podNamespace: string | undefined;
  /** kubeconfig (KUBECONFIG) is the kubeconfig path outside a pod. */
  readonly kubeconfig: string | undefined;
  /** hostImage (SKIFF_HOST_IMAGE) is the default image of host pods. */
  readonly hostImage: string | undefined;
  /** identity is this process's Lease identity: the pod name, else hostname + pid. */
  readonly identity: string;
}

/** loadOperatorEnv reads the operator's environment once. */
export function loadOperatorEnv(env: NodeJS.ProcessEnv = process.env): OperatorEnv {
  const podName = env.SKIFF_POD_NAME || undefined;
  return Object.freeze({
    podName,
    podNamespace: env.SKIFF_POD_NAMESPACE || undefined,
    kubeconfig: env.KUBECONFIG || undefined,
    hostImage: env.SKIFF_HOST_IMAGE || undefined,
    identity: podName ?? `${hostname()}-${process.pid}`,
  });
}
