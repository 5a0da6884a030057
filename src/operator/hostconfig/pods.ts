/**
 * HostPods answers questions about host pods from the pod informer: whose host a pod is,
 * whether it still counts (deleted, terminating or finished pods lose their host at once,
 * whatever their host's heartbeats say), and which hosts are being drained.
 */
import type { Informer, KubeObject } from '../kube/index.js';
import { DRAIN_ANNOTATION, HOSTCONFIG_LABEL } from './pod.js';

/** podLost: a pod whose host cannot be counted on (deleted, terminating, or finished). */
export function podLost(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return pod.metadata.deletionTimestamp !== undefined || phase === 'Failed' || phase === 'Succeeded';
}

/** HostPods reads the host pods the operator owns. */
export class HostPods {
  readonly #pods: Informer;
  /** #uids remembers each pod's uid, so a deleted pod's later heartbeats are still ignored. */
  readonly #uids = new Map<string, string>();

  constructor(pods: Informer) {
    this.#pods = pods;
  }

  /** seen records a pod key's current uid (call it from the informer's change handler). */
  seen(key: string): KubeObject | undefined {
    const pod = this.#pods.get(key);
    if (pod?.metadata.uid) this.#uids.set(key, pod.metadata.uid);
    return pod;
  }

  /** isDead: the pod a heartbeat names is gone, replaced, or terminating. */
  isDead(namespace: string, name: string, uid: string): boolean {
    if (!this.#pods.synced) return false;
    const key = `${namespace}/${name}`;
    const pod = this.#pods.get(key);
    if (!pod) return this.#uids.get(key) === uid;
    return pod.metadata.uid !== uid || podLost(pod);
  }

  /** ownerKey is the `namespace/name` of the HostConfig owning the pod that runs `hostId`. */
  ownerKey(hostId: string): string | undefined {
    const pod = this.#pods.list().find((p) => p.metadata.name === hostId);
    const owner = pod?.metadata.labels?.[HOSTCONFIG_LABEL];
    return pod && owner ? `${pod.metadata.namespace}/${owner}` : undefined;
  }

  /** draining lists hosts whose pods are being drained: their replicas move elsewhere. */
  draining(): ReadonlySet<string> {
    const out = new Set<string>();
    for (const pod of this.#pods.list()) {
      if (pod.metadata.annotations?.[DRAIN_ANNOTATION] !== undefined) out.add(pod.metadata.name);
    }
    return out;
  }
}
