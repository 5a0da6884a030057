/**
 * Reading Workloads from the cache and writing them to hosts: parse a cached object (a spec
 * the schema refuses becomes a status, not an exception), and trim a Workload to what a
 * start request carries.
 */
import { type Workload, type WorkloadStatus, workloadSpecSchema } from '../../api/index.js';
import type { KubeObject } from '../kube/index.js';

/** wireWorkload is the Workload as a start request carries it: identity and spec, nothing else. */
export function wireWorkload(w: Workload): Workload {
  const m = w.metadata;
  return {
    apiVersion: w.apiVersion,
    kind: w.kind,
    metadata: {
      name: m.name,
      ...(m.namespace ? { namespace: m.namespace } : {}),
      ...(m.uid ? { uid: m.uid } : {}),
      ...(m.generation !== undefined ? { generation: m.generation } : {}),
      ...(m.labels ? { labels: m.labels } : {}),
    },
    spec: w.spec,
  };
}

type Parsed = { ok: true; workload: Workload } | { ok: false; message: string };

/** parseWorkload reads a cached object as a Workload; a spec the schema refuses is reported, not thrown. */
export function parseWorkload(obj: KubeObject): Parsed {
  const spec = workloadSpecSchema.safeParse(obj.spec);
  if (!spec.success) {
    const issues = spec.error.issues.slice(0, 5).map((i) => `spec.${i.path.join('.')}: ${i.message}`);
    return { ok: false, message: issues.join('; ') };
  }
  const m = obj.metadata;
  const workload: Workload = {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'Workload',
    metadata: {
      name: m.name,
      namespace: m.namespace ?? 'default',
      ...(m.uid ? { uid: m.uid } : {}),
      ...(m.generation !== undefined ? { generation: m.generation } : {}),
      ...(m.labels ? { labels: m.labels } : {}),
    },
    spec: spec.data,
    ...(obj.status ? { status: obj.status as WorkloadStatus } : {}),
  };
  return { ok: true, workload };
}

/** invalidStatus reports a spec the schema refuses: Ready=False and Stalled=True, reason InvalidSpec. */
export function invalidStatus(obj: KubeObject, message: string, now: number): WorkloadStatus {
  const generation = obj.metadata.generation ?? 1;
  const at = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
  const previous = (obj.status as WorkloadStatus | undefined)?.conditions ?? [];
  const keep = (type: string, status: 'True' | 'False') => {
    const old = previous.find((c) => c.type === type);
    return old && old.status === status ? old.lastTransitionTime : at;
  };
  const cond = (type: string, status: 'True' | 'False', reason: string) => ({
    type,
    status,
    reason,
    message,
    observedGeneration: generation,
    lastTransitionTime: keep(type, status),
  });
  return {
    ...(obj.status as WorkloadStatus | undefined),
    observedGeneration: generation,
    conditions: [cond('Ready', 'False', 'InvalidSpec'), cond('Stalled', 'True', 'InvalidSpec')],
  };
}
