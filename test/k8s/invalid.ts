/**
 * One invalid manifest per rule the API server enforces, each with the field path the
 * rejection must name. Built from the samples by a small mutation.
 */
import { type Manifest, sample } from './cluster.js';

/** InvalidCase is a manifest that breaks exactly one rule. */
export type InvalidCase = {
  rule: string;
  kind: 'Workload' | 'HostConfig';
  /** Text the server's rejection must contain (the field path, or the unknown field). */
  field: string;
  mutate: (spec: Manifest) => void;
};

const HTTPS_IMAGE = 'https://example.com/c.wasm';

/** workloadBase is a valid Workload to mutate: the hello sample with one volume. */
export function workloadBase(): Manifest {
  const w = sample('workload-hello.yaml');
  w.spec.volumes = [{ name: 'data', emptyDir: {} }];
  return w;
}

/** hostConfigBase is the HostConfig sample. */
export function hostConfigBase(): Manifest {
  return sample('hostconfig.yaml');
}

const c0 = (s: Manifest) => s.components[0];
const hi0 = (s: Manifest) => s.hostInterfaces[0];

/** INVALID lists one invalid manifest per rule. */
export const INVALID: InvalidCase[] = [
  // Workload.spec
  {
    rule: 'replicas >= 0',
    kind: 'Workload',
    field: 'spec.replicas',
    mutate: (s) => {
      s.replicas = -1;
    },
  },
  {
    rule: 'hostSelector is a string map',
    kind: 'Workload',
    field: 'spec.hostSelector.zone',
    mutate: (s) => {
      s.hostSelector = { zone: 1 };
    },
  },
  {
    rule: 'components required',
    kind: 'Workload',
    field: 'spec.components',
    mutate: (s) => {
      delete s.components;
    },
  },
  {
    rule: 'at least 1 component',
    kind: 'Workload',
    field: 'spec.components',
    mutate: (s) => {
      s.components = [];
    },
  },
  {
    rule: 'at most 32 components',
    kind: 'Workload',
    field: 'spec.components',
    mutate: (s) => {
      s.components = Array.from({ length: 33 }, (_, i) => ({ name: `c${i}`, image: 'ghcr.io/a/b:1' }));
    },
  },
  {
    rule: 'component name is a DNS label',
    kind: 'Workload',
    field: 'spec.components[0].name',
    mutate: (s) => {
      c0(s).name = 'Hello_World';
    },
  },
  {
    rule: 'component names unique',
    kind: 'Workload',
    field: 'spec.components',
    mutate: (s) => {
      s.components.push({ ...c0(s) });
    },
  },
  {
    rule: 'image required',
    kind: 'Workload',
    field: 'spec.components[0].image',
    mutate: (s) => {
      delete c0(s).image;
    },
  },
  {
    rule: 'image is OCI, file:// or https://',
    kind: 'Workload',
    field: 'spec.components[0].image',
    mutate: (s) => {
      c0(s).image = 'http://example.com/c.wasm';
    },
  },
  {
    rule: 'digest is sha256 + 64 hex',
    kind: 'Workload',
    field: 'spec.components[0].digest',
    mutate: (s) => {
      c0(s).digest = 'sha256:abc';
    },
  },
  {
    rule: 'digest required for https://',
    kind: 'Workload',
    field: 'spec.components[0].digest',
    mutate: (s) => {
      c0(s).image = HTTPS_IMAGE;
    },
  },
  {
    rule: 'imagePullSecret is a name',
    kind: 'Workload',
    field: 'spec.components[0].imagePullSecret',
    mutate: (s) => {
      c0(s).imagePullSecret = 'Not A Name';
    },
  },
  {
    rule: 'config is a string map',
    kind: 'Workload',
    field: 'spec.components[0].config.debug',
    mutate: (s) => {
      c0(s).config = { debug: true };
    },
  },
  {
    rule: 'environment is a string map',
    kind: 'Workload',
    field: 'spec.components[0].environment.N',
    mutate: (s) => {
      c0(s).environment = { N: 3 };
    },
  },
  {
    rule: 'volumeMounts name declared in spec.volumes',
    kind: 'Workload',
    field: 'spec.components',
    mutate: (s) => {
      c0(s).volumeMounts = [{ name: 'missing', mountPath: '/m' }];
    },
  },
  {
    rule: 'mountPath absolute',
    kind: 'Workload',
    field: 'spec.components[0].volumeMounts[0].mountPath',
    mutate: (s) => {
      c0(s).volumeMounts = [{ name: 'data', mountPath: 'relative' }];
    },
  },
  {
    rule: 'readOnly is a boolean',
    kind: 'Workload',
    field: 'spec.components[0].volumeMounts[0].readOnly',
    mutate: (s) => {
      c0(s).volumeMounts = [{ name: 'data', mountPath: '/m', readOnly: 'yes' }];
    },
  },
  {
    rule: 'mountPath normalised (no ..)',
    kind: 'Workload',
    field: 'spec.components[0].volumeMounts[0].mountPath',
    mutate: (s) => {
      c0(s).volumeMounts = [{ name: 'data', mountPath: '/../../../etc' }];
    },
  },
  {
    rule: 'mountPath mounted once',
    kind: 'Workload',
    field: 'spec.components[0].volumeMounts[1]',
    mutate: (s) => {
      c0(s).volumeMounts = [
        { name: 'data', mountPath: '/m' },
        { name: 'data', mountPath: '/m', readOnly: true },
      ];
    },
  },
  {
    rule: 'limits.memory at most 4Gi',
    kind: 'Workload',
    field: 'spec.components[0].limits.memory',
    mutate: (s) => {
      c0(s).limits = { memory: '100Gi' };
    },
  },
  {
    rule: 'limits.memory is a quantity',
    kind: 'Workload',
    field: 'spec.components[0].limits.memory',
    mutate: (s) => {
      c0(s).limits = { memory: 'lots' };
    },
  },
  {
    rule: 'limits.timeoutMs > 0',
    kind: 'Workload',
    field: 'spec.components[0].limits.timeoutMs',
    mutate: (s) => {
      c0(s).limits = { timeoutMs: 0 };
    },
  },
  {
    rule: 'limits.maxConcurrency > 0',
    kind: 'Workload',
    field: 'spec.components[0].limits.maxConcurrency',
    mutate: (s) => {
      c0(s).limits = { maxConcurrency: 0 };
    },
  },
  {
    rule: 'hostInterfaces namespace is kebab-case',
    kind: 'Workload',
    field: 'spec.hostInterfaces[0].namespace',
    mutate: (s) => {
      hi0(s).namespace = 'WASI';
    },
  },
  {
    rule: 'hostInterfaces package is kebab-case',
    kind: 'Workload',
    field: 'spec.hostInterfaces[0].package',
    mutate: (s) => {
      hi0(s).package = 'key_value';
    },
  },
  {
    rule: 'hostInterfaces interfaces >= 1',
    kind: 'Workload',
    field: 'spec.hostInterfaces[0].interfaces',
    mutate: (s) => {
      hi0(s).interfaces = [];
    },
  },
  {
    rule: 'hostInterfaces interfaces are kebab-case',
    kind: 'Workload',
    field: 'spec.hostInterfaces[0].interfaces[0]',
    mutate: (s) => {
      hi0(s).interfaces = ['Incoming'];
    },
  },
  {
    rule: 'hostInterfaces version is semver',
    kind: 'Workload',
    field: 'spec.hostInterfaces[0].version',
    mutate: (s) => {
      hi0(s).version = 'latest';
    },
  },
  {
    rule: 'hostInterfaces config is a string map',
    kind: 'Workload',
    field: 'spec.hostInterfaces[0].config.port',
    mutate: (s) => {
      hi0(s).config = { port: 80 };
    },
  },
  {
    rule: 'hostInterfaces unique by namespace + package + version',
    kind: 'Workload',
    field: 'spec.hostInterfaces',
    mutate: (s) => {
      s.hostInterfaces.push({ ...hi0(s), interfaces: ['outgoing-handler'] });
    },
  },
  {
    rule: 'hostInterfaces unique by namespace + package + name + version (two instances of one name)',
    kind: 'Workload',
    field: 'spec.hostInterfaces',
    mutate: (s) => {
      s.hostInterfaces.push(
        { ...hi0(s), name: 'cache' },
        { ...hi0(s), name: 'cache', interfaces: ['outgoing-handler'] },
      );
    },
  },
  {
    rule: 'hostInterfaces name is lowercase letters, digits and -',
    kind: 'Workload',
    field: 'spec.hostInterfaces[0].name',
    mutate: (s) => {
      hi0(s).name = 'Cache_1';
    },
  },
  {
    rule: 'volume name is a DNS label',
    kind: 'Workload',
    field: 'spec.volumes[0].name',
    mutate: (s) => {
      s.volumes[0].name = 'Data';
    },
  },
  {
    rule: 'volume names unique',
    kind: 'Workload',
    field: 'spec.volumes',
    mutate: (s) => {
      s.volumes.push({ name: 'data', emptyDir: {} });
    },
  },
  {
    rule: 'volume sets exactly one kind (two set)',
    kind: 'Workload',
    field: 'spec.volumes[0]',
    mutate: (s) => {
      s.volumes[0].secret = { secretName: 's' };
    },
  },
  {
    rule: 'volume sets exactly one kind (none set)',
    kind: 'Workload',
    field: 'spec.volumes[0]',
    mutate: (s) => {
      s.volumes = [{ name: 'data' }];
    },
  },
  {
    rule: 'configMap name required',
    kind: 'Workload',
    field: 'spec.volumes[0].configMap.name',
    mutate: (s) => {
      s.volumes = [{ name: 'data', configMap: {} }];
    },
  },
  {
    rule: 'secret secretName required',
    kind: 'Workload',
    field: 'spec.volumes[0].secret.secretName',
    mutate: (s) => {
      s.volumes = [{ name: 'data', secret: {} }];
    },
  },
  {
    rule: 'configMap item paths stay inside the volume',
    kind: 'Workload',
    field: 'spec.volumes[0].configMap.items[0].path',
    mutate: (s) => {
      s.volumes = [{ name: 'data', configMap: { name: 'cm', items: [{ key: 'k', path: '../escape' }] } }];
    },
  },
  {
    rule: 'secret item paths are unique',
    kind: 'Workload',
    field: 'spec.volumes[0].secret.items[1]',
    mutate: (s) => {
      const items = [
        { key: 'a', path: 'same' },
        { key: 'b', path: 'same' },
      ];
      s.volumes = [{ name: 'data', secret: { secretName: 's', items } }];
    },
  },
  {
    rule: 'defaultMode at most 0777',
    kind: 'Workload',
    field: 'spec.volumes[0].secret.defaultMode',
    mutate: (s) => {
      s.volumes = [{ name: 'data', secret: { secretName: 's', defaultMode: 0o1000 } }];
    },
  },
  {
    rule: 'configFrom names an object',
    kind: 'Workload',
    field: 'spec.components[0].configFrom[0].name',
    mutate: (s) => {
      c0(s).configFrom = [{ name: 'Not A Name' }];
    },
  },
  {
    rule: 'secretFrom entries have a name only and optional',
    kind: 'Workload',
    field: 'spec.hostInterfaces[0].secretFrom[0]',
    mutate: (s) => {
      hi0(s).secretFrom = [{ name: 's', key: 'x' }];
    },
  },
  {
    rule: 'hostPath path absolute',
    kind: 'Workload',
    field: 'spec.volumes[0].hostPath.path',
    mutate: (s) => {
      s.volumes = [{ name: 'data', hostPath: { path: 'var/lib' } }];
    },
  },
  {
    rule: 'service image required',
    kind: 'Workload',
    field: 'spec.service.image',
    mutate: (s) => {
      s.service = { name: 'svc' };
    },
  },
  {
    rule: 'service digest required for https://',
    kind: 'Workload',
    field: 'spec.service.digest',
    mutate: (s) => {
      s.service = { name: 'svc', image: HTTPS_IMAGE };
    },
  },
  {
    rule: 'service maxRestarts >= 0',
    kind: 'Workload',
    field: 'spec.service.maxRestarts',
    mutate: (s) => {
      s.service = { name: 'svc', image: 'ghcr.io/a/b:1', maxRestarts: -1 };
    },
  },
  {
    rule: 'service volumeMounts declared in spec.volumes',
    kind: 'Workload',
    field: 'spec.service',
    mutate: (s) => {
      s.service = { name: 'svc', image: 'ghcr.io/a/b:1', volumeMounts: [{ name: 'nope', mountPath: '/x' }] };
    },
  },
  {
    rule: 'no unknown fields in spec',
    kind: 'Workload',
    field: 'unknown field "spec.replica"',
    mutate: (s) => {
      s.replica = 2;
    },
  },
  {
    rule: 'no unknown fields in a component',
    kind: 'Workload',
    field: 'unknown field "spec.components[0].url"',
    mutate: (s) => {
      c0(s).url = 'https://example.com';
    },
  },
  // HostConfig.spec
  {
    rule: 'redis sets exactly one of url, urlSecret',
    kind: 'HostConfig',
    field: 'spec.redis',
    mutate: (s) => {
      s.redis = { url: 'redis://redis:6379', urlSecret: { name: 'redis', key: 'url' } };
    },
  },
  {
    rule: 'redis url carries no credentials',
    kind: 'HostConfig',
    field: 'spec.redis.url',
    mutate: (s) => {
      s.redis = { url: 'redis://:hunter2@redis:6379' };
    },
  },
  {
    rule: 'HostConfig replicas >= 0',
    kind: 'HostConfig',
    field: 'spec.replicas',
    mutate: (s) => {
      s.replicas = -1;
    },
  },
  {
    rule: 'http.port >= 1',
    kind: 'HostConfig',
    field: 'spec.http.port',
    mutate: (s) => {
      s.http.port = 0;
    },
  },
  {
    rule: 'http.port <= 65535',
    kind: 'HostConfig',
    field: 'spec.http.port',
    mutate: (s) => {
      s.http.port = 65536;
    },
  },
  {
    rule: 'nats.url scheme',
    kind: 'HostConfig',
    field: 'spec.nats.url',
    mutate: (s) => {
      s.nats.url = 'http://nats:4222';
    },
  },
  {
    rule: 'nats.url required',
    kind: 'HostConfig',
    field: 'spec.nats.url',
    mutate: (s) => {
      delete s.nats.url;
    },
  },
  {
    rule: 'nats.credentialsSecret is a name',
    kind: 'HostConfig',
    field: 'spec.nats.credentialsSecret',
    mutate: (s) => {
      s.nats.credentialsSecret = 'A B';
    },
  },
  {
    rule: 'labels is a string map',
    kind: 'HostConfig',
    field: 'spec.labels.gpu',
    mutate: (s) => {
      s.labels = { gpu: true };
    },
  },
  {
    rule: 'blobstore backend is one hosts offer for blobstore',
    kind: 'HostConfig',
    field: 'spec.plugins.blobstore.backend',
    mutate: (s) => {
      s.plugins.blobstore.backend = 'redis';
    },
  },
  {
    rule: 'messaging backend memory|nats',
    kind: 'HostConfig',
    field: 'spec.plugins.messaging.backend',
    mutate: (s) => {
      s.plugins.messaging.backend = 'filesystem';
    },
  },
  {
    rule: 'keyvalue on redis needs spec.redis',
    kind: 'HostConfig',
    field: 'spec.plugins.keyvalue.backend',
    mutate: (s) => {
      s.plugins.keyvalue.backend = 'redis';
    },
  },
  {
    rule: 'keyvalue on the filesystem needs spec.dataDir',
    kind: 'HostConfig',
    field: 'spec.plugins.keyvalue.backend',
    mutate: (s) => {
      s.plugins.keyvalue.backend = 'filesystem';
    },
  },
  {
    rule: 'blobstore on the filesystem needs spec.dataDir',
    kind: 'HostConfig',
    field: 'spec.plugins.blobstore.backend',
    mutate: (s) => {
      s.plugins.blobstore.backend = 'filesystem';
    },
  },
  {
    rule: 'http has no backend',
    kind: 'HostConfig',
    field: 'unknown field "spec.plugins.http.backend"',
    mutate: (s) => {
      s.plugins.http = { backend: 'nats' };
    },
  },
  {
    rule: 'dataDir sizeLimit is a quantity',
    kind: 'HostConfig',
    field: 'spec.dataDir.sizeLimit',
    mutate: (s) => {
      s.dataDir = { sizeLimit: 'plenty' };
    },
  },
  {
    rule: 'plugin enabled is a boolean',
    kind: 'HostConfig',
    field: 'spec.plugins.keyvalue.enabled',
    mutate: (s) => {
      s.plugins.keyvalue.enabled = 'yes';
    },
  },
  {
    rule: 'plugins are the known capabilities',
    kind: 'HostConfig',
    field: 'unknown field "spec.plugins.sql"',
    mutate: (s) => {
      s.plugins.sql = {};
    },
  },
  {
    rule: 'resources are quantities',
    kind: 'HostConfig',
    field: 'spec.resources.requests.memory',
    mutate: (s) => {
      s.resources.requests.memory = 'a lot';
    },
  },
  {
    rule: 'nodeSelector is a string map',
    kind: 'HostConfig',
    field: 'spec.nodeSelector.ssd',
    mutate: (s) => {
      s.nodeSelector = { ssd: 1 };
    },
  },
  {
    rule: 'toleration operator',
    kind: 'HostConfig',
    field: 'spec.tolerations[0].operator',
    mutate: (s) => {
      s.tolerations[0].operator = 'In';
    },
  },
  {
    rule: 'no unknown fields in HostConfig spec',
    kind: 'HostConfig',
    field: 'unknown field "spec.replica"',
    mutate: (s) => {
      s.replica = 1;
    },
  },
];
