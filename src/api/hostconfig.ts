/**
 * The HostConfig resource: the template the operator creates host pods from, and the
 * Host resource: what the operator learned from a host's heartbeats.
 */
import { z } from 'zod';
import {
  API_GROUP_VERSION,
  CONDITIONS_LIST,
  conditionSchema,
  dnsLabel,
  objectMetaSchema,
  quantity,
  stringMap,
} from './common.js';
import { dataDirSchema, PLUGIN_RULES, pluginRuleIssues, pluginsSchema } from './plugins.js';

/**
 * redisSettingsSchema enables the Redis keyvalue backend on the hosts (named keyvalue
 * instances select it with `config.backend: redis`). Exactly one of url, urlSecret.
 */
export const redisSettingsSchema = z
  .object({
    url: z
      .string()
      .max(2048)
      .regex(
        /^rediss?:\/\/[^\s/@]+(\/[0-9]{1,2})?$/,
        'must be redis://host[:port][/db] or rediss://… without credentials',
      )
      .optional()
      .describe('URL of the Redis server, without credentials (put a URL with a password in urlSecret).'),
    urlSecret: z
      .object({
        name: dnsLabel.describe('Name of the Secret.'),
        key: z
          .string()
          .min(1)
          .max(253)
          .regex(/^[-._a-zA-Z0-9]+$/, 'must be a Secret key')
          .describe('Key whose value is the whole URL.'),
      })
      .strict()
      .optional()
      .describe('A Secret key holding the whole Redis URL, credentials included.'),
  })
  .strict()
  .refine((r) => (r.url === undefined) !== (r.urlSecret === undefined), 'exactly one of url, urlSecret must be set')
  .describe('The Redis server of the redis keyvalue backend.')
  .meta({
    'x-kubernetes-validations': [
      { rule: 'has(self.url) != has(self.urlSecret)', message: 'exactly one of url, urlSecret must be set' },
    ],
  });

const resourceList = z
  .object({
    cpu: quantity.optional().describe('CPU, as a quantity (e.g. 500m or 2).'),
    memory: quantity.optional().describe('Memory, as a quantity (e.g. 256Mi).'),
  })
  .strict()
  .describe('CPU and memory quantities.');

/** tolerationSchema is a core/v1 Toleration. */
export const tolerationSchema = z
  .object({
    key: z.string().optional().describe('Taint key the toleration applies to.'),
    operator: z.enum(['Exists', 'Equal']).optional().describe('Exists or Equal (default Equal).'),
    value: z.string().optional().describe('Taint value the toleration matches.'),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional().describe('Taint effect to match.'),
    tolerationSeconds: z.number().int().optional().describe('How long a NoExecute taint is tolerated.'),
  })
  .strict()
  .describe('A pod toleration.');

/** REGISTRY_HOST_PATTERN is a registry as image references name it: a host name, IPv4 or [IPv6], and an optional port. */
export const REGISTRY_HOST_PATTERN =
  /^(?:[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;

/** registryHostSchema is one registry named as image references name it (`host` or `host:port`, lower case). */
export const registryHostSchema = z
  .string()
  .max(261)
  .regex(REGISTRY_HOST_PATTERN, 'must be a registry host[:port] in lower case, e.g. registry.local:5000');

/** hostConfigSpecSchema is the desired state of a group of hosts. */
export const hostConfigSpecSchema = z
  .object({
    replicas: z.number().int().min(0).max(1000).default(1).describe('Number of host pods.'),
    image: z.string().min(1).max(2048).optional().describe('Container image of the host pods.'),
    labels: stringMap.optional().describe('Labels of the hosts, matched by Workload hostSelector.'),
    http: z
      .object({
        port: z.number().int().min(1).max(65535).default(8080).describe('Port of the host HTTP server.'),
      })
      .strict()
      .optional()
      .describe('HTTP server of the hosts.'),
    nats: z
      .object({
        url: z
          .string()
          .regex(/^(nats|tls|ws|wss):\/\/.+/, 'must be a URL with scheme nats, tls, ws or wss')
          .describe('URL of the NATS server (nats://, tls://, ws:// or wss://).'),
        credentialsSecret: dnsLabel.optional().describe('Name of a Secret holding NATS credentials.'),
      })
      .strict()
      .optional()
      .describe('How hosts connect to NATS.'),
    plugins: pluginsSchema.optional(),
    resources: z
      .object({
        requests: resourceList.optional().describe('Resources the host pods are guaranteed.'),
        limits: resourceList.optional().describe('Resources the host pods may use at most.'),
      })
      .strict()
      .optional()
      .describe('Compute resources of the host pods.'),
    nodeSelector: stringMap.optional().describe('Node labels host pods must be scheduled on.'),
    tolerations: z.array(tolerationSchema).max(64).optional().describe('Tolerations of the host pods.'),
    namespaces: z
      .array(
        z
          .string()
          .max(63)
          .regex(/^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/, 'must be a namespace name or *'),
      )
      .min(1)
      .max(256)
      .optional()
      .describe(
        'Namespaces whose Workloads these hosts run. Default: the HostConfig\'s own namespace only; ["*"] shares the hosts with every namespace.',
      ),
    redis: redisSettingsSchema.optional(),
    insecureRegistries: z
      .array(registryHostSchema)
      .max(64)
      .optional()
      .describe(
        'OCI registries (host or host:port, as in image references) the hosts pull from over plain HTTP; every other registry is spoken to over HTTPS only.',
      ),
    dataDir: dataDirSchema.optional(),
    maxWorkloads: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe('How many workloads each host accepts (default 100).'),
    strategy: z
      .object({
        rollingUpdate: z
          .object({
            maxSurge: z
              .number()
              .int()
              .min(0)
              .max(1000)
              .optional()
              .describe('How many host pods may be created above replicas during a replacement (default 1).'),
            maxUnavailable: z
              .number()
              .int()
              .min(0)
              .max(1000)
              .optional()
              .describe('How many host pods may be draining at once (default 0 when maxSurge > 0, else 1).'),
          })
          .strict()
          .optional()
          .describe('Batch sizes of a host replacement.'),
      })
      .strict()
      .optional()
      .describe('How host pods are replaced when the template changes: surge, drain, then delete.'),
    tracing: z
      .object({
        endpoint: z
          .string()
          .max(2048)
          .regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL')
          .describe("OTLP/HTTP endpoint the hosts export spans and guests' metrics to (OTEL_EXPORTER_OTLP_ENDPOINT)."),
        serviceName: z
          .string()
          .min(1)
          .max(256)
          .optional()
          .describe('service.name of the hosts (OTEL_SERVICE_NAME; default skiff-host).'),
      })
      .strict()
      .optional()
      .describe('OpenTelemetry tracing of the hosts: a span per request, plugin call and NATS request. Off when unset.'),
  })
  .strict()
  .describe('Desired state of a group of Skiff hosts.')
  .meta({ 'x-kubernetes-validations': PLUGIN_RULES })
  .superRefine((spec, ctx) => {
    for (const issue of pluginRuleIssues(spec)) ctx.addIssue({ code: 'custom', ...issue });
  });

/** hostConfigStatusSchema is the observed state of a HostConfig. */
export const hostConfigStatusSchema = z
  .object({
    observedGeneration: z.number().int().optional().describe('The generation this status was computed from.'),
    replicas: z.number().int().min(0).optional().describe('Number of host pods.'),
    readyReplicas: z.number().int().min(0).optional().describe('Number of hosts that heartbeat.'),
    updatedReplicas: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Number of host pods created from the current template.'),
    selector: z.string().optional().describe('Label selector of the host pods (for the scale subresource).'),
    conditions: z
      .array(conditionSchema)
      .meta(CONDITIONS_LIST)
      .optional()
      .describe('Conditions: Ready, Progressing, Reconciling, Stalled.'),
  })
  .strict()
  .describe('Observed state of a HostConfig.');

/** hostConfigSchema is a whole HostConfig manifest. */
export const hostConfigSchema = z
  .object({
    apiVersion: z.literal(API_GROUP_VERSION),
    kind: z.literal('HostConfig'),
    metadata: objectMetaSchema,
    spec: hostConfigSpecSchema,
    status: hostConfigStatusSchema.optional(),
  })
  .strict();

/** hostCapacitySchema is what a host can still take. */
export const hostCapacitySchema = z
  .object({
    workloads: z.number().int().min(0).describe('Maximum number of workloads the host runs.'),
    memory: quantity.optional().describe('Memory available to component instances.'),
  })
  .strict()
  .describe('Capacity of a host.');

/** hostStatusSchema is what the operator learned from a host's heartbeats. */
export const hostStatusSchema = z
  .object({
    hostId: z.string().describe('Unique identity of the host process.'),
    podName: z.string().optional().describe('Pod the host runs in.'),
    podNamespace: z.string().optional().describe('Namespace of the pod the host runs in.'),
    podIP: z.string().optional().describe('IP address of the pod the host runs in.'),
    httpPort: z.number().int().min(0).max(65535).optional().describe('Port of the host HTTP server.'),
    labels: stringMap.optional().describe('Labels of the host.'),
    labelSummary: z.string().optional().describe('Labels of the host as comma-separated k=v pairs (for kubectl get).'),
    capacity: hostCapacitySchema.optional(),
    interfaces: z.array(z.string()).optional().describe('WIT interfaces the host provides.'),
    cordoned: z.boolean().optional().describe('Whether the host refuses new workloads.'),
    startedAt: z.string().optional().describe('When the host process started (RFC 3339).'),
    lastHeartbeat: z.string().optional().describe('Time of the last heartbeat written here (RFC 3339).'),
    workloadCount: z.number().int().min(0).optional().describe('Number of workloads on the host.'),
    workloads: z.array(z.string()).max(100_000).optional().describe('Workloads on the host, as namespace/name.'),
    conditions: z.array(conditionSchema).meta(CONDITIONS_LIST).optional().describe('Conditions: Ready.'),
  })
  .strict()
  .describe('Observed state of a host.');

/** hostSchema is a whole Host resource (written by the operator only). */
export const hostSchema = z
  .object({
    apiVersion: z.literal(API_GROUP_VERSION),
    kind: z.literal('Host'),
    metadata: objectMetaSchema,
    status: hostStatusSchema.optional(),
  })
  .strict();

/** HostConfigStatus is the observed state of a HostConfig. */
export type HostConfigStatus = z.infer<typeof hostConfigStatusSchema>;
/** HostConfig is a parsed HostConfig manifest. */
export type HostConfig = z.infer<typeof hostConfigSchema>;
/** HostConfigSpec is the desired state of a group of hosts. */
export type HostConfigSpec = z.infer<typeof hostConfigSpecSchema>;
/** Host is a Host resource. */
export type Host = z.infer<typeof hostSchema>;
/** HostResourceStatus is the status of a Host resource. */
export type HostResourceStatus = z.infer<typeof hostStatusSchema>;
