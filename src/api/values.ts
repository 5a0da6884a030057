/**
 * The values of the Helm chart `charts/skiff`: the single source of its `values.schema.json`
 * (generated), so `helm install` rejects a bad value naming its key. The defaults here are
 * the chart's `values.yaml`; a test keeps the two equal.
 */
import { z } from 'zod';
import { dnsLabel, QUANTITY_PATTERN, quantity, stringMap } from './common.js';
import { registryHostSchema, tolerationSchema } from './hostconfig.js';
import { pluginsSchema } from './plugins.js';

// Helm reads `cpu: 1` as a number, so a quantity may be either.
const quantityValue = z
  .union([
    z.string().regex(new RegExp(QUANTITY_PATTERN), 'must be a quantity such as 500m or 256Mi'),
    z.number().min(0),
  ])
  .describe('A resource quantity, e.g. 500m, 2 or 256Mi.');

// The HostConfig CRD takes quantities as strings only.
const hostQuantity = quantity.describe('A resource quantity as a string, e.g. "500m" or "256Mi".');

const resourceList = z
  .object({
    cpu: quantityValue.optional(),
    memory: quantityValue.optional(),
    'ephemeral-storage': quantityValue.optional(),
  })
  .strict()
  .describe('CPU, memory and ephemeral storage quantities.');

/** resourcesValues are a container's resource requests and limits. */
export const resourcesValues = z
  .object({
    requests: resourceList.optional().describe('What the container is guaranteed.'),
    limits: resourceList.optional().describe('What the container may use at most.'),
  })
  .strict()
  .describe('Compute resources of a container.');

/** imageValues name a container image; an empty tag means the chart appVersion. */
export const imageValues = z
  .object({
    repository: z.string().min(1).max(1024).describe('Image repository, e.g. ghcr.io/example/skiff.'),
    tag: z.string().max(128).describe('Image tag; empty means the chart appVersion.'),
    pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).describe('When the kubelet pulls the image.'),
  })
  .strict()
  .describe('A container image.');

const podPlacement = {
  nodeSelector: stringMap.describe('Node labels the pods must be scheduled on.'),
  tolerations: z.array(tolerationSchema).max(64).describe('Tolerations of the pods.'),
  affinity: z.record(z.string(), z.unknown()).describe('Affinity of the pods (a core/v1 Affinity).'),
};

const operatorValues = z
  .object({
    replicas: z
      .number()
      .int()
      .min(1)
      .max(10)
      .describe('Operator pods; one leads (a Lease), the others stand by with warm caches.'),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).describe('Log level of the operator.'),
    watchNamespaces: z
      .array(dnsLabel)
      .max(100)
      .describe('Namespaces whose Workloads and HostConfigs the operator reconciles; empty means every namespace.'),
    healthPort: z.number().int().min(1).max(65535).describe('Port of /healthz and /readyz.'),
    metricsPort: z.number().int().min(1).max(65535).describe('Port of /metrics.'),
    resources: resourcesValues,
    podAnnotations: stringMap.describe('Annotations added to the operator pods.'),
    podLabels: stringMap.describe('Labels added to the operator pods.'),
    priorityClassName: z.string().max(253).describe('PriorityClass of the operator pods; empty for none.'),
    ...podPlacement,
    podDisruptionBudget: z
      .object({
        enabled: z.boolean().describe('Whether to create a PodDisruptionBudget for the operator.'),
        maxUnavailable: z.number().int().min(1).describe('Operator pods a voluntary disruption may take at once.'),
      })
      .strict()
      .describe('PodDisruptionBudget of the operator pods.'),
  })
  .strict()
  .describe('The operator Deployment.');

const metricsValues = z
  .object({
    service: z
      .object({ enabled: z.boolean().describe('Whether to create a Service for the operator metrics port.') })
      .strict()
      .describe('Service in front of the operator metrics port.'),
    serviceMonitor: z
      .object({
        enabled: z.boolean().describe('Whether to create a ServiceMonitor (needs the Prometheus Operator CRDs).'),
        interval: z
          .string()
          .regex(/^([0-9]+(ms|s|m|h))+$/, 'must be a duration such as 30s')
          .describe('Scrape interval.'),
        labels: stringMap.describe('Labels of the ServiceMonitor, e.g. the release label Prometheus selects.'),
      })
      .strict()
      .describe('Prometheus Operator ServiceMonitor for the operator metrics.'),
  })
  .strict()
  .describe('Operator metrics.');

const natsAuthTypes = ['none', 'userPassword', 'token', 'creds', 'nkey'] as const;

const natsValues = z
  .object({
    bundled: z
      .object({
        enabled: z.boolean().describe('Run a NATS server with JetStream in the release; false uses nats.url.'),
        image: imageValues,
        resources: resourcesValues,
        storage: z
          .object({
            size: z
              .string()
              .regex(new RegExp(QUANTITY_PATTERN), 'must be a quantity such as 1Gi')
              .describe('Size of the JetStream volume.'),
            storageClassName: z.string().max(253).describe('StorageClass of the volume; empty for the default.'),
          })
          .strict()
          .describe('The PersistentVolumeClaim holding JetStream data.'),
        ...podPlacement,
      })
      .strict()
      .describe('The bundled NATS StatefulSet.'),
    url: z
      .string()
      .max(2048)
      .regex(/^$|^(nats|tls|ws|wss):\/\/\S+$/, 'must be empty or a nats://, tls://, ws:// or wss:// URL')
      .describe(
        'URL of an external NATS server (needed when nats.bundled.enabled is false; comma-separated for several).',
      ),
    auth: z
      .object({
        type: z.enum(natsAuthTypes).describe('How to authenticate: none, userPassword, token, creds or nkey.'),
        secretName: z
          .union([dnsLabel, z.literal('')])
          .describe('Secret with the credentials: keys user+password, token, creds or seed, by type.'),
      })
      .strict()
      .describe('NATS credentials of the operator and the default HostConfig.'),
    tls: z
      .object({
        secretName: z
          .union([dnsLabel, z.literal('')])
          .describe('Secret with ca.crt (and tls.crt + tls.key for a client certificate); empty for no TLS files.'),
        clientCertificate: z.boolean().describe('Whether the Secret holds tls.crt + tls.key to present to NATS.'),
      })
      .strict()
      .describe('TLS files for the NATS connection.'),
    accounts: z
      .object({
        enabled: z
          .boolean()
          .describe('NATS operator mode with an account per namespace (ADR 0022); replaces nats.auth.'),
        operatorSeedSecret: z
          .union([dnsLabel, z.literal('')])
          .describe('Secret with key seed: the operator key (`skiff nats-config --new-operator-seed`).'),
        userTtlSeconds: z
          .union([
            z.literal(0),
            z
              .number()
              .int()
              .min(4)
              .max(30 * 86_400),
          ])
          .describe("Lifetime of hosts' namespace JWTs, refreshed at half of it; 0: they do not expire."),
      })
      .strict()
      .describe('One NATS account per namespace, signed by an operator key the operator holds.'),
  })
  .strict()
  .describe('NATS: bundled in the release or external.');

const hostConfigValues = z
  .object({
    create: z.boolean().describe('Whether to create a HostConfig in the release namespace.'),
    name: dnsLabel.describe('Name of the HostConfig.'),
    replicas: z.number().int().min(0).max(1000).describe('Number of host pods.'),
    image: z
      .string()
      .max(2048)
      .describe('Image of host pods of HostConfigs that name none; empty means the operator image.'),
    labels: stringMap.describe('Labels of the hosts, matched by Workload hostSelector.'),
    httpPort: z.number().int().min(1).max(65535).describe('Port of the host HTTP server.'),
    namespaces: z
      .array(
        z
          .string()
          .max(63)
          .regex(/^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/, 'must be a namespace name or *'),
      )
      .min(1)
      .max(256)
      .describe('Namespaces whose Workloads the hosts run; ["*"] shares them with every namespace.'),
    plugins: pluginsSchema,
    resources: z
      .object({
        requests: z
          .object({ cpu: hostQuantity.optional(), memory: hostQuantity.optional() })
          .strict()
          .optional()
          .describe('What each host pod is guaranteed.'),
        limits: z
          .object({ cpu: hostQuantity.optional(), memory: hostQuantity.optional() })
          .strict()
          .optional()
          .describe('What each host pod may use at most.'),
      })
      .strict()
      .describe('Compute resources of the host pods.'),
    nodeSelector: stringMap.describe('Node labels host pods must be scheduled on.'),
    tolerations: z.array(tolerationSchema).max(64).describe('Tolerations of the host pods.'),
    insecureRegistries: z
      .array(registryHostSchema)
      .max(64)
      .describe('Registries (host or host:port) the hosts pull from over plain HTTP; all others are HTTPS only.'),
  })
  .strict()
  .describe('An optional default HostConfig: the operator creates host pods from it.');

/** chartValuesSchema is the whole values tree of `charts/skiff`. */
export const chartValuesSchema = z
  .object({
    image: imageValues.describe('Image of the operator (and, by default, of the hosts): one image for both.'),
    imagePullSecrets: z
      .array(z.object({ name: dnsLabel.describe('Name of a docker-registry Secret.') }).strict())
      .max(16)
      .describe('Secrets for pulling the images.'),
    runAsUser: z.number().int().min(1).describe('Non-root user id the Skiff and NATS containers run as.'),
    operator: operatorValues,
    metrics: metricsValues,
    hosts: z
      .object({
        serviceAccountName: z
          .union([dnsLabel, z.literal('')])
          .describe(
            'ServiceAccount of host pods (no permissions, no token), in the release and watched namespaces; empty means <release>-host.',
          ),
      })
      .strict()
      .describe('What the chart prepares for host pods.'),
    nats: natsValues,
    hostConfig: hostConfigValues,
  })
  .strict()
  .describe('Values of the Skiff Helm chart.');

/** ChartValues is a complete values tree of the chart. */
export type ChartValues = z.infer<typeof chartValuesSchema>;
