/**
 * The Workload resource: components to run, the capabilities they are granted, their
 * volumes, and where they may be placed. The CRD in `crds/` is generated from this file.
 */
import { z } from 'zod';
import {
  API_GROUP_VERSION,
  CONDITIONS_LIST,
  conditionSchema,
  dnsLabel,
  objectMetaSchema,
  parseQuantity,
  QUANTITY_PATTERN,
  quantity,
  stringMap,
} from './common.js';
import { configLayerShape, configMapVolumeSchema, secretVolumeSchema } from './references.js';

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
/** IMAGE matches a file:// path, an https:// URL or an OCI reference ([registry/]path[:tag][@sha256:digest]). */
const IMAGE =
  /^(file:\/\/.+|https:\/\/.+|([a-zA-Z0-9.-]+(:[0-9]+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?)$/;

/**
 * MOUNT_PATH matches a normalised absolute path: `/`, or `/`-separated segments that are
 * neither empty, `.` nor `..` (no trailing slash). RE2-compatible, for the CRD as well.
 */
const MOUNT_PATH = /^(\/|(\/([^/.][^/]*|\.[^/.][^/]*|\.\.[^/]+))+)$/;

/** MAX_INSTANCE_MEMORY is the most linear memory a wasm32 instance can address: 4 GiB. */
export const MAX_INSTANCE_MEMORY = 4 * 2 ** 30;

/** instanceMemory is a memory quantity no larger than a wasm32 memory can be. */
const instanceMemory = quantity
  .max(64)
  .refine(
    (v) => !new RegExp(QUANTITY_PATTERN).test(v) || parseQuantity(v) <= MAX_INSTANCE_MEMORY,
    'must be at most 4Gi (a wasm32 memory cannot be larger)',
  )
  .meta({
    'x-kubernetes-validations': [
      {
        rule: "!isQuantity(self) || quantity(self).compareTo(quantity('4Gi')) <= 0",
        message: 'must be at most 4Gi (a wasm32 memory cannot be larger)',
      },
    ],
  });

/** kebabId is a WIT identifier: lowercase kebab-case. */
const kebabId = z.string().min(1).max(128).regex(KEBAB, 'must be a lowercase kebab-case WIT identifier');

/** volumeMountSchema mounts one of the workload's volumes into a component's filesystem. */
export const volumeMountSchema = z
  .object({
    name: dnsLabel.describe('Name of a volume declared in spec.volumes.'),
    mountPath: z
      .string()
      .min(1)
      .max(4096)
      .regex(MOUNT_PATH, 'must be a normalised absolute path (no empty, "." or ".." segments, no trailing "/")')
      .describe('Absolute path inside the component where the volume appears as a preopened directory.'),
    readOnly: z.boolean().optional().describe('Mount the volume read-only (default false).'),
  })
  .strict()
  .describe('A volume mounted into the component filesystem.');

/** limitsSchema bounds what one component instance may use. */
export const limitsSchema = z
  .object({
    memory: instanceMemory
      .optional()
      .describe('Maximum linear memory of one instance, as a quantity (e.g. 64Mi); at most 4Gi.'),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(3_600_000)
      .optional()
      .describe('Maximum time in milliseconds one invocation may run before the instance is stopped.'),
    maxConcurrency: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .describe('Maximum number of invocations served at once (the instance pool size).'),
  })
  .strict()
  .describe('Resource limits of one component instance.');

const componentShape = {
  name: dnsLabel.describe('Name of the component, unique within the workload (a DNS label).'),
  image: z
    .string()
    .min(1)
    .max(2048)
    .regex(IMAGE, 'must be an OCI reference, a file:// path or an https:// URL')
    .describe('Where the component comes from: an OCI reference, a file:// path or an https:// URL.'),
  digest: z
    .string()
    .regex(SHA256, 'must be sha256: followed by 64 lowercase hex digits')
    .optional()
    .describe('Expected sha256 digest of the component bytes (sha256:<64 hex>); required for https:// images.'),
  imagePullSecret: dnsLabel.optional().describe('Name of a Secret holding registry credentials (docker config JSON).'),
  imagePullPolicy: z
    .enum(['Always', 'IfNotPresent', 'Never'])
    .optional()
    .describe(
      'When to pull an OCI image: Always resolves the tag at every start, IfNotPresent uses the cache when it has the image, Never only uses the cache. Default: Always for :latest or no tag, IfNotPresent otherwise.',
    ),
  config: stringMap
    .optional()
    .describe('Configuration values served to the component through wasi:config/store (the first layer).'),
  ...configLayerShape,
  environment: stringMap.optional().describe('Environment variables served through wasi:cli/environment.'),
  args: z.array(z.string().max(4096)).max(256).optional().describe('Arguments served through wasi:cli/environment.'),
  volumeMounts: z
    .array(volumeMountSchema)
    .max(64)
    // A list map keyed by mountPath, as in a Pod's volumeMounts: the API server refuses a duplicate path.
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['mountPath'] })
    .optional()
    .describe('Volumes mounted into the component.'),
  limits: limitsSchema.optional(),
};

const componentRules = [
  {
    rule: "!self.image.startsWith('https://') || has(self.digest)",
    message: 'digest is required when image is an https:// URL',
    fieldPath: '.digest',
  },
];

/** componentSchema is one Wasm component of a workload. */
export const componentSchema = z
  .object(componentShape)
  .strict()
  .describe('A WebAssembly component run by the workload.')
  .meta({ 'x-kubernetes-validations': componentRules });

/** serviceSchema is a long-running component that exports wasi:cli/run. */
export const serviceSchema = z
  .object({
    ...componentShape,
    maxRestarts: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .optional()
      .describe('How many times the service is restarted after it exits or traps (default 3).'),
  })
  .strict()
  .describe('A long-running component exporting wasi:cli/run, restarted when it exits.')
  .meta({ 'x-kubernetes-validations': componentRules });

/** hostInterfaceSchema grants the workload one WIT package of host capabilities. */
export const hostInterfaceSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and "-", starting with a letter or digit')
      .optional()
      .describe(
        'Names this instance of the package when several entries grant the same package, each with its own backend (config.backend) and config. Components reach a named keyvalue instance by opening the bucket of that name, a named blobstore instance through the container of that name; unnamed entries serve every other bucket or container.',
      ),
    namespace: kebabId.describe('WIT namespace of the package, e.g. wasi.'),
    package: kebabId.describe('WIT package name, e.g. keyvalue.'),
    interfaces: z
      .array(kebabId)
      .min(1)
      .max(64)
      .describe('Interfaces of the package that are granted, e.g. [store, atomics].'),
    version: z
      .string()
      .max(64)
      .regex(/^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/, 'must be a semantic version such as 0.2.0-draft')
      .optional()
      .describe('Semantic version of the package, e.g. 0.2.0-draft.'),
    config: stringMap
      .optional()
      .describe('Configuration for the capability (e.g. host for wasi:http); the first layer.'),
    ...configLayerShape,
  })
  .strict()
  .describe('A WIT package of host capabilities granted to the workload.');

/** volumeSchema is storage a workload's components may mount. Exactly one kind is set. */
export const volumeSchema = z
  .object({
    name: dnsLabel.describe('Name of the volume, unique within the workload.'),
    emptyDir: z.object({}).strict().optional().describe('A private, initially empty temporary directory.'),
    configMap: configMapVolumeSchema.optional(),
    secret: secretVolumeSchema.optional(),
    hostPath: z
      .object({
        path: z.string().min(1).regex(/^\//, 'must be an absolute path').describe('Absolute path on the host.'),
      })
      .strict()
      .optional()
      .describe('A directory of the host machine.'),
  })
  .strict()
  .describe('Storage that components may mount. Exactly one of emptyDir, configMap, secret, hostPath is set.')
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '[has(self.emptyDir), has(self.configMap), has(self.secret), has(self.hostPath)].filter(x, x).size() == 1',
        message: 'exactly one of emptyDir, configMap, secret, hostPath must be set',
      },
    ],
  });

function volumeKinds(v: z.infer<typeof volumeSchema>): number {
  return [v.emptyDir, v.configMap, v.secret, v.hostPath].filter((x) => x !== undefined).length;
}

/** rollingUpdateSchema bounds how many replicas are replaced at once when the spec changes. */
export const rollingUpdateSchema = z
  .object({
    maxUnavailable: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .optional()
      .describe('How many replicas may be unavailable during an update (default 0).'),
    maxSurge: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .optional()
      .describe('How many replicas may be replaced at once beyond the desired count (default 1).'),
  })
  .strict()
  .describe('Batch sizes of a rolling update.');

/** strategySchema says how a new generation replaces the running one. */
export const strategySchema = z
  .object({ rollingUpdate: rollingUpdateSchema.optional() })
  .strict()
  .describe('How a new generation of the workload replaces the running one.');

/** workloadSpecSchema is the desired state of a Workload. */
export const workloadSpecSchema = z
  .object({
    replicas: z.number().int().min(0).max(10_000).default(1).describe('Number of hosts the workload runs on.'),
    hostSelector: stringMap.optional().describe('Labels a host must carry to run the workload.'),
    components: z.array(componentSchema).min(1).max(32).describe('The components of the workload (1 to 32).'),
    hostInterfaces: z
      .array(hostInterfaceSchema)
      .max(64)
      .default([])
      .describe('Capabilities granted to the components. Anything not listed here is denied.'),
    volumes: z.array(volumeSchema).max(64).default([]).describe('Volumes the components may mount.'),
    service: serviceSchema.optional(),
    strategy: strategySchema.optional(),
  })
  .strict()
  .describe('Desired state of a Workload.')
  .meta({
    'x-kubernetes-validations': [
      {
        rule: 'self.components.all(c, self.components.exists_one(d, d.name == c.name))',
        message: 'component names must be unique',
        fieldPath: '.components',
      },
      {
        rule: '!has(self.volumes) || self.volumes.all(v, self.volumes.exists_one(w, w.name == v.name))',
        message: 'volume names must be unique',
        fieldPath: '.volumes',
      },
      // `namespace` and `package` are CEL reserved words: they must be written __namespace__ and
      // __package__, or the field is untyped and the rule's estimated cost exceeds the budget.
      {
        rule: '!has(self.hostInterfaces) || self.hostInterfaces.all(h, self.hostInterfaces.exists_one(i, i.__namespace__ == h.__namespace__ && i.__package__ == h.__package__ && (has(i.name) ? i.name : "") == (has(h.name) ? h.name : "") && (has(i.version) ? i.version : "") == (has(h.version) ? h.version : "")))',
        message: 'hostInterfaces must be unique by namespace, package, name and version',
        fieldPath: '.hostInterfaces',
      },
      {
        rule: 'self.components.all(c, !has(c.volumeMounts) || c.volumeMounts.all(m, has(self.volumes) && self.volumes.exists(v, v.name == m.name)))',
        message: 'every volumeMounts name must be declared in spec.volumes',
        fieldPath: '.components',
      },
      {
        rule: '!has(self.service) || !has(self.service.volumeMounts) || self.service.volumeMounts.all(m, has(self.volumes) && self.volumes.exists(v, v.name == m.name))',
        message: 'every volumeMounts name must be declared in spec.volumes',
        fieldPath: '.service',
      },
    ],
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.components.forEach((c, i) => {
      if (seen.has(c.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['components', i, 'name'],
          message: `duplicate component name "${c.name}"`,
        });
      }
      seen.add(c.name);
    });
    const volumes = new Set<string>();
    spec.volumes.forEach((v, i) => {
      if (volumes.has(v.name)) {
        ctx.addIssue({ code: 'custom', path: ['volumes', i, 'name'], message: `duplicate volume name "${v.name}"` });
      }
      volumes.add(v.name);
      const items = v.configMap?.items ?? v.secret?.items ?? [];
      const paths = new Set<string>();
      items.forEach((item, j) => {
        if (paths.has(item.path)) {
          const kind = v.configMap ? 'configMap' : 'secret';
          ctx.addIssue({
            code: 'custom',
            path: ['volumes', i, kind, 'items', j, 'path'],
            message: `duplicate path "${item.path}"`,
          });
        }
        paths.add(item.path);
      });
      if (volumeKinds(v) !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['volumes', i],
          message: 'exactly one of emptyDir, configMap, secret, hostPath must be set',
        });
      }
    });
    const grants = new Set<string>();
    spec.hostInterfaces.forEach((h, i) => {
      const key = `${h.namespace}:${h.package}@${h.version ?? ''}#${h.name ?? ''}`;
      if (grants.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['hostInterfaces', i],
          message: `duplicate host interface ${h.namespace}:${h.package}${h.version ? `@${h.version}` : ''}${h.name ? ` named ${h.name}` : ''}`,
        });
      }
      grants.add(key);
    });
    const all = spec.service ? [...spec.components, spec.service] : spec.components;
    all.forEach((c, i) => {
      const base: (string | number)[] = i < spec.components.length ? ['components', i] : ['service'];
      if (c.image.startsWith('https://') && !c.digest) {
        ctx.addIssue({
          code: 'custom',
          path: [...base, 'digest'],
          message: 'digest is required when image is an https:// URL',
        });
      }
      const paths = new Set<string>();
      (c.volumeMounts ?? []).forEach((m, j) => {
        if (paths.has(m.mountPath)) {
          ctx.addIssue({
            code: 'custom',
            path: [...base, 'volumeMounts', j, 'mountPath'],
            message: `mountPath ${m.mountPath} is already mounted`,
          });
        }
        paths.add(m.mountPath);
        if (!volumes.has(m.name)) {
          ctx.addIssue({
            code: 'custom',
            path: [...base, 'volumeMounts', j, 'name'],
            message: `volume "${m.name}" is not declared in spec.volumes`,
          });
        }
      });
    });
  });

/** serviceStatusSchema reports the state of the workload's service on one host. */
export const serviceStatusSchema = z
  .object({
    name: z.string().max(253).describe('Name of the service.'),
    state: z
      .enum(['Running', 'Restarting', 'Failed', 'Stopped'])
      .describe('Running, Restarting (waiting out its backoff), Failed (gave up after maxRestarts) or Stopped.'),
    restarts: z.number().int().min(0).describe('How many times the service was restarted.'),
    reason: z.string().max(128).optional().describe('CamelCase reason the last run ended, e.g. ServiceTrapped.'),
    message: z.string().max(4096).optional().describe('How the last run ended.'),
  })
  .strict()
  .describe("State of the workload's service on one host.");

/** placementSchema reports one host's view of the workload. */
export const placementSchema = z
  .object({
    host: z.string().describe('Identity of the host.'),
    state: z
      .enum(['Pending', 'Starting', 'Running', 'Stopping', 'Failed'])
      .describe('State of the workload on the host.'),
    generation: z.number().int().optional().describe('Generation of the workload the host runs or starts.'),
    revision: z.string().max(64).optional().describe('Revision of the workload the host runs or starts.'),
    reason: z.string().optional().describe('CamelCase reason of the last failure on this host, if any.'),
    message: z.string().optional().describe('Details, such as why the start failed.'),
    service: serviceStatusSchema.optional(),
  })
  .strict()
  .describe('Where one replica of the workload is placed.');

/** workloadStatusSchema is the observed state of a Workload. */
export const workloadStatusSchema = z
  .object({
    observedGeneration: z.number().int().optional().describe('The generation this status was computed from.'),
    revision: z
      .string()
      .max(64)
      .optional()
      .describe(
        'Revision the replicas should run when the workload references ConfigMaps or Secrets: a hash of the spec and of the referenced objects (their resourceVersions).',
      ),
    replicas: z.number().int().min(0).optional().describe('Number of placed replicas.'),
    readyReplicas: z.number().int().min(0).optional().describe('Number of replicas that are running.'),
    updatedReplicas: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Number of replicas placed with the current generation (and revision).'),
    availableReplicas: z.number().int().min(0).optional().describe('Number of replicas serving (any generation).'),
    selector: z.string().optional().describe('Label selector of the workload hosts (for the scale subresource).'),
    conditions: z
      .array(conditionSchema)
      .meta(CONDITIONS_LIST)
      .optional()
      .describe('Conditions: Scheduled, Progressing, Available, Ready.'),
    placements: z.array(placementSchema).max(10_000).optional().describe('Where replicas run and in which state.'),
  })
  .strict()
  .describe('Observed state of a Workload.');

/** workloadSchema is a whole Workload manifest. */
export const workloadSchema = z
  .object({
    apiVersion: z.literal(API_GROUP_VERSION),
    kind: z.literal('Workload'),
    metadata: objectMetaSchema,
    spec: workloadSpecSchema,
    status: workloadStatusSchema.optional(),
  })
  .strict();

/** Workload is a parsed Workload manifest. */
export type Workload = z.infer<typeof workloadSchema>;
/** WorkloadSpec is the desired state of a Workload. */
export type WorkloadSpec = z.infer<typeof workloadSpecSchema>;
/** ComponentSpec is one component of a Workload. */
export type ComponentSpec = z.infer<typeof componentSchema>;
/** ServiceSpec is the long-running component of a Workload. */
export type ServiceSpec = z.infer<typeof serviceSchema>;
/** HostInterface is one granted WIT package. */
export type HostInterface = z.infer<typeof hostInterfaceSchema>;
/** Volume is one volume of a Workload. */
export type Volume = z.infer<typeof volumeSchema>;
/** VolumeMount mounts a volume into a component. */
export type VolumeMount = z.infer<typeof volumeMountSchema>;
/** Limits bounds one component instance. */
export type Limits = z.infer<typeof limitsSchema>;
/** ServiceStatus is the state of a workload's service on one host. */
export type ServiceStatus = z.infer<typeof serviceStatusSchema>;
/** Placement is one replica's entry in a Workload's status. */
export type Placement = z.infer<typeof placementSchema>;
/** Strategy says how a new generation replaces the running one. */
export type Strategy = z.infer<typeof strategySchema>;
/** WorkloadStatus is the observed state of a Workload. */
export type WorkloadStatus = z.infer<typeof workloadStatusSchema>;
