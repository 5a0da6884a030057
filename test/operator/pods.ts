/**
 * The HostConfig test bench of the operator tier: a Stack whose host pods run as `skiff host`
 * processes (LocalKubelet) with an operator in process, and what those tests read back — the
 * HostConfig's host pods, and the HostConfig once its rollout is done.
 */
import type { OperatorConfig } from '../../src/operator/operator.js';
import { resourcePath } from '../k8s/cluster.js';
import { LocalKubelet, podIp } from './kubelet.js';
import {
  condition,
  type InProcessOperator,
  type Manifest,
  type Stack,
  startOperator,
  startStack,
  waitFor,
} from './stack.js';

/** PodStack is a Stack, the LocalKubelet running its host pods at `ip`, and the operator. */
export interface PodStack {
  readonly stack: Stack;
  readonly kubelet: LocalKubelet;
  readonly op: InProcessOperator;
  readonly ip: string;
  /** stop stops the operator, the kubelet and the stack, in that order. */
  stop(): Promise<void>;
}

/** startPodStack starts a Stack named `name`, a LocalKubelet, and operator `identity` creating host pods. */
export async function startPodStack(
  name: string,
  identity: string,
  over: Partial<OperatorConfig> = {},
): Promise<PodStack> {
  const stack = await startStack(name);
  const ip = podIp();
  const kubelet = new LocalKubelet(stack, ip);
  kubelet.start();
  const op = await startOperator(stack, identity, { natsUrl: stack.nats.url, hostImage: 'skiff:test', ...over });
  return {
    stack,
    kubelet,
    op,
    ip,
    async stop() {
      await op.stop();
      await kubelet.stop();
      await stack.stop();
    },
  };
}

/** hostPods lists the pods of HostConfig `name` in the stack's namespace. */
export async function hostPods(stack: Stack, name = 'hosts'): Promise<Manifest[]> {
  const path = `/api/v1/namespaces/${stack.namespace}/pods?labelSelector=runtime.skiff.dev/hostconfig=${name}`;
  return (((await stack.cluster.http.send('GET', path)).body as Manifest).items ?? []) as Manifest[];
}

/** hostConfigReady waits (up to `ms`) until HostConfig `name` has `replicas` ready, updated pods and Ready=True for its generation. */
export async function hostConfigReady(stack: Stack, replicas: number, ms = 120_000, name = 'hosts'): Promise<Manifest> {
  return waitFor(
    `HostConfig ready with ${replicas}`,
    async () => {
      const hc = (await stack.cluster.http.send('GET', resourcePath('hostconfigs', stack.namespace, name)))
        .body as Manifest;
      return hc?.status?.readyReplicas === replicas &&
        hc.status.updatedReplicas === replicas &&
        hc.status.replicas === replicas &&
        condition(hc, 'Ready')?.status === 'True' &&
        hc.status.observedGeneration === hc.metadata.generation
        ? hc
        : undefined;
    },
    ms,
  );
}
