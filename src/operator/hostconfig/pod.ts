/**
 * The host pod a HostConfig asks for: a pure function from the HostConfig and the operator's
 * defaults to a Pod manifest, and the hash of that template (pods carry it as a label, so a
 * template change is seen as "these pods are old").
 */
import { createHash } from 'node:crypto';
import type { HostConfig } from '../../api/index.js';
import { stableJson } from '../json.js';
import type { KubeObject } from '../kube/index.js';
import { pluginFlags } from './plugins.js';

/** HOSTCONFIG_LABEL names the HostConfig that owns a host pod. */
export const HOSTCONFIG_LABEL = 'runtime.skiff.dev/hostconfig';
/** TEMPLATE_HASH_LABEL carries the hash of the template a host pod was created from. */
export const TEMPLATE_HASH_LABEL = 'runtime.skiff.dev/template-hash';
/** DRAIN_ANNOTATION marks a host pod whose workloads are being moved away before deletion. */
export const DRAIN_ANNOTATION = 'runtime.skiff.dev/draining';
/** METRICS_PORT is the host container's admin port (/metrics, /healthz, /readyz). */
export const METRICS_PORT = 9464;
/** NATS_SECRET_DIR is where a HostConfig's NATS credentials Secret is mounted. */
export const NATS_SECRET_DIR = '/var/run/skiff/nats';
/** DATA_DIR is where a HostConfig's `spec.dataDir` (an emptyDir) is mounted: the filesystem backends' data. */
export const DATA_DIR = '/var/lib/skiff/data';
/** SECRET_VOLUME_LIMIT bounds the memory-backed volume holding workloads' secret volumes (it counts against the pod's memory). */
export const SECRET_VOLUME_LIMIT = '64Mi';

/** PodDefaults are what the operator fills in when a HostConfig leaves it open. */
export interface PodDefaults {
  /** image is the operator's own image (one image runs both commands). */
  readonly image: string;
  /** natsUrl is the operator's own NATS URL. */
  readonly natsUrl: string;
  /** serviceAccountName is a ServiceAccount with no permissions (none: the namespace default). */
  readonly serviceAccountName?: string | undefined;
  /** imagePullPolicy of host containers (IfNotPresent unless set). */
  readonly imagePullPolicy?: string | undefined;
}

/** SecretKeys are the keys present in the NATS credentials Secret (the operator reads them). */
export type SecretKeys = ReadonlySet<string>;

/** podTemplate builds the pod a HostConfig asks for, without the hash label and name. */
export function podTemplate(hc: HostConfig, defaults: PodDefaults, secretKeys: SecretKeys): KubeObject {
  const spec = hc.spec;
  const httpPort = spec.http?.port ?? 8080;
  const args = ['host', '--nats', spec.nats?.url ?? defaults.natsUrl, '--name', '$(SKIFF_POD_NAME)'];
  // With http disabled the host runs no HTTP server: no port to pass or declare.
  const serveHttp = spec.plugins?.http?.enabled !== false;
  if (serveHttp) args.push('--port', String(httpPort));
  args.push('--metrics-port', String(METRICS_PORT), '--heartbeat-seconds', '1');
  args.push('--max-workloads', String(spec.maxWorkloads ?? 100));
  for (const registry of spec.insecureRegistries ?? []) args.push('--insecure-registry', registry);
  // Hosts serve their HostConfig's namespace unless it shares them (`*`: every namespace).
  const served = spec.namespaces ?? [hc.metadata.namespace ?? 'default'];
  if (!served.includes('*')) args.push('--namespaces', [...new Set(served)].sort().join(','));
  for (const [k, v] of Object.entries(spec.labels ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    args.push('--label', `${k}=${v}`);
  }
  args.push(...pluginFlags(spec.plugins));
  const env: Record<string, unknown>[] = [
    field('SKIFF_POD_NAME', 'metadata.name'),
    field('SKIFF_POD_NAMESPACE', 'metadata.namespace'),
    field('SKIFF_POD_UID', 'metadata.uid'),
    field('SKIFF_POD_IP', 'status.podIP'),
    { name: 'SKIFF_CACHE', value: '/var/cache/skiff' },
    { name: 'SKIFF_WORKDIR', value: '/var/lib/skiff/work' },
    { name: 'SKIFF_SECRETDIR', value: '/var/lib/skiff/secrets' },
  ];
  if (spec.tracing) {
    env.push({ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: spec.tracing.endpoint });
    if (spec.tracing.serviceName) env.push({ name: 'OTEL_SERVICE_NAME', value: spec.tracing.serviceName });
  }
  const mounts: Record<string, unknown>[] = [
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'cache', mountPath: '/var/cache/skiff' },
    { name: 'work', mountPath: '/var/lib/skiff/work' },
    { name: 'secrets', mountPath: '/var/lib/skiff/secrets' },
  ];
  const volumes: Record<string, unknown>[] = [
    { name: 'tmp', emptyDir: {} },
    { name: 'cache', emptyDir: {} },
    { name: 'work', emptyDir: {} },
    // Workloads' secret volumes: memory-backed, so their contents never reach the node's disk.
    { name: 'secrets', emptyDir: { medium: 'Memory', sizeLimit: SECRET_VOLUME_LIMIT } },
  ];
  // The filesystem backends: an emptyDir, so the data lives and dies with the pod (the field says so).
  if (spec.dataDir) {
    const sizeLimit = spec.dataDir.sizeLimit;
    volumes.push({ name: 'data', emptyDir: sizeLimit ? { sizeLimit } : {} });
    mounts.push({ name: 'data', mountPath: DATA_DIR });
    args.push('--data-dir', DATA_DIR);
  }
  // The redis keyvalue backend: a plain URL as a flag, one with credentials from its Secret.
  if (spec.redis?.url) args.push('--redis', spec.redis.url);
  const redisSecret = spec.redis?.urlSecret;
  if (redisSecret) env.push({ name: 'SKIFF_REDIS_URL', valueFrom: { secretKeyRef: { ...redisSecret } } });
  const secret = spec.nats?.credentialsSecret;
  if (secret) {
    for (const [key, envName] of [
      ['user', 'SKIFF_NATS_USER'],
      ['password', 'SKIFF_NATS_PASSWORD'],
      ['token', 'SKIFF_NATS_TOKEN'],
    ] as const) {
      if (secretKeys.has(key)) env.push({ name: envName, valueFrom: { secretKeyRef: { name: secret, key } } });
    }
    const files = [
      ['creds', '--nats-creds'],
      ['nkey', '--nats-nkey-seed'],
      ['ca.crt', '--nats-tls-ca'],
      ['tls.crt', '--nats-tls-cert'],
      ['tls.key', '--nats-tls-key'],
    ].filter(([key]) => secretKeys.has(key!));
    if (files.length > 0) {
      volumes.push({ name: 'nats', secret: { secretName: secret, defaultMode: 0o440 } });
      mounts.push({ name: 'nats', mountPath: NATS_SECRET_DIR, readOnly: true });
      for (const [key, flag] of files) args.push(flag!, `${NATS_SECRET_DIR}/${key}`);
    }
  }
  const resources = spec.resources ? { resources: JSON.parse(JSON.stringify(spec.resources)) } : {};
  const container = {
    name: 'host',
    image: spec.image ?? defaults.image,
    imagePullPolicy: defaults.imagePullPolicy ?? 'IfNotPresent',
    args,
    env,
    ports: [
      ...(serveHttp ? [{ name: 'http', containerPort: httpPort, protocol: 'TCP' }] : []),
      { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
    ],
    readinessProbe: { httpGet: { path: '/readyz', port: 'metrics' }, periodSeconds: 2, failureThreshold: 2 },
    livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' }, periodSeconds: 10, failureThreshold: 3 },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: mounts,
    ...resources,
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: '',
      namespace: hc.metadata.namespace ?? 'default',
      labels: {
        'app.kubernetes.io/name': 'skiff-host',
        'app.kubernetes.io/managed-by': 'skiff-operator',
        [HOSTCONFIG_LABEL]: hc.metadata.name,
      },
    },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(defaults.serviceAccountName ? { serviceAccountName: defaults.serviceAccountName } : {}),
      terminationGracePeriodSeconds: 30,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [container],
      volumes,
      ...(spec.nodeSelector ? { nodeSelector: { ...spec.nodeSelector } } : {}),
      ...(spec.tolerations ? { tolerations: spec.tolerations.map((t) => ({ ...t })) } : {}),
    },
  };
}

/** templateHash is a short stable hash of a pod template (10 hex digits). */
export function templateHash(template: KubeObject): string {
  return createHash('sha256').update(stableJson(template)).digest('hex').slice(0, 10);
}

/** hostPod stamps a template with its hash, owner and name prefix, ready to create. */
export function hostPod(hc: HostConfig, template: KubeObject, hash: string): KubeObject {
  const m = template.metadata;
  return {
    ...template,
    metadata: {
      ...m,
      name: undefined as unknown as string,
      generateName: `${hc.metadata.name.slice(0, 40)}-${hash.slice(0, 5)}-`,
      labels: { ...m.labels, [TEMPLATE_HASH_LABEL]: hash },
      ownerReferences: [
        {
          apiVersion: hc.apiVersion,
          kind: 'HostConfig',
          name: hc.metadata.name,
          uid: hc.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    } as KubeObject['metadata'],
  };
}

function field(name: string, path: string) {
  return { name, valueFrom: { fieldRef: { fieldPath: path } } };
}
