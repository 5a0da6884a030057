/**
 * Host pods in NATS account mode (ADR 0022): the operator names each host pod itself (the
 * name is the host id, which its control user's permissions must name), puts that host's
 * control credentials into a Secret `<pod>-nats` and mounts it, and starts the host with
 * `--nats-accounts`. The HostConfig's own NATS user, token, nkey or creds are not used then
 * (its TLS files still are).
 */
import { randomBytes } from 'node:crypto';
import type { HostConfig } from '../../api/index.js';
import type { KubeObject } from '../kube/index.js';
import { HOSTCONFIG_LABEL } from './pod.js';

/** NATS_ACCOUNT_DIR is where a host pod's control credentials are mounted in account mode. */
export const NATS_ACCOUNT_DIR = '/var/run/skiff/nats-account';
/** NATS_ACCOUNT_CREDS is the key (and file name) of the control credentials in the pod's Secret. */
export const NATS_ACCOUNT_CREDS = 'host.creds';

const AUTH_ENV = new Set(['SKIFF_NATS_USER', 'SKIFF_NATS_PASSWORD', 'SKIFF_NATS_TOKEN']);
const AUTH_FLAGS = new Set(['--nats-creds', '--nats-nkey-seed']);
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** ACCOUNT_MODE_ANNOTATION marks host pods (and their template hash) as running in NATS account mode. */
export const ACCOUNT_MODE_ANNOTATION = 'runtime.skiff.dev/nats-accounts';

/** markAccountMode annotates a pod template for account mode, so its hash differs from the plain one. */
export function markAccountMode(template: KubeObject): KubeObject {
  const annotations = { ...(template.metadata.annotations ?? {}), [ACCOUNT_MODE_ANNOTATION]: 'true' };
  return { ...template, metadata: { ...template.metadata, annotations } };
}

/** podName picks a host pod's name the way generateName would (`<generateName><5 characters>`). */
export function podName(pod: KubeObject, random: (n: number) => Uint8Array = randomBytes): string {
  const prefix = (pod.metadata as { generateName?: string }).generateName ?? `${pod.metadata.name}-`;
  return prefix + [...random(5)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
}

/** accountSecretName is the Secret holding a host pod's control credentials. */
export function accountSecretName(pod: string): string {
  return `${pod}-nats`;
}

/** accountSecret is the Secret with a host's control credentials, owned by its HostConfig. */
export function accountSecret(hc: HostConfig, pod: string, creds: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: accountSecretName(pod),
      namespace: hc.metadata.namespace ?? 'default',
      labels: { 'app.kubernetes.io/managed-by': 'skiff-operator', [HOSTCONFIG_LABEL]: hc.metadata.name },
      ownerReferences: [
        {
          apiVersion: hc.apiVersion,
          kind: 'HostConfig',
          name: hc.metadata.name,
          uid: hc.metadata.uid!,
          controller: true,
        },
      ],
    },
    type: 'Opaque',
    stringData: { [NATS_ACCOUNT_CREDS]: creds },
  } as KubeObject;
}

interface Container {
  args: string[];
  env?: { name: string }[];
  volumeMounts?: Record<string, unknown>[];
}

/** inAccountMode names a host pod `name` and points it at its control credentials and `--nats-accounts`. */
export function inAccountMode(pod: KubeObject, name: string): KubeObject {
  const spec = pod.spec as { containers: Container[]; volumes?: Record<string, unknown>[] };
  const [container, ...rest] = spec.containers;
  if (!container) throw new Error('a host pod has a container');
  const args: string[] = [];
  for (let i = 0; i < container.args.length; i++) {
    if (AUTH_FLAGS.has(container.args[i]!)) i++;
    else args.push(container.args[i]!);
  }
  args.push('--nats-creds', `${NATS_ACCOUNT_DIR}/${NATS_ACCOUNT_CREDS}`, '--nats-accounts');
  const { generateName: _generated, ...metadata } = pod.metadata as KubeObject['metadata'] & { generateName?: string };
  return {
    ...pod,
    metadata: { ...metadata, name },
    spec: {
      ...spec,
      containers: [
        {
          ...container,
          args,
          env: (container.env ?? []).filter((e) => !AUTH_ENV.has(e.name)),
          volumeMounts: [
            ...(container.volumeMounts ?? []),
            { name: 'nats-account', mountPath: NATS_ACCOUNT_DIR, readOnly: true },
          ],
        },
        ...rest,
      ],
      volumes: [
        ...(spec.volumes ?? []),
        { name: 'nats-account', secret: { secretName: accountSecretName(name), defaultMode: 0o440 } },
      ],
    },
  };
}

/**
 * accountModeConflicts names what of a HostConfig spec a host in account mode cannot do: in
 * account mode every capability runs on its namespace's NATS account, so a backend other than
 * NATS, a Redis server or a data directory would make the host refuse to start (ADR 0022).
 * Switching a capability off is fine.
 */
export function accountModeConflicts(spec: HostConfig['spec']): string[] {
  const out: string[] = [];
  for (const [name, setting] of Object.entries(spec.plugins ?? {})) {
    if (setting && setting.enabled !== false && 'backend' in setting && setting.backend && setting.backend !== 'nats') {
      out.push(`spec.plugins.${name}.backend (${setting.backend})`);
    }
  }
  if (spec.redis) out.push('spec.redis');
  if (spec.dataDir) out.push('spec.dataDir');
  return out;
}
