import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ManifestError, parseWorkload } from './index.js';

const example = `
apiVersion: runtime.skiff.dev/v1alpha1
kind: Workload
metadata: { name: hello, namespace: default }
spec:
  components:
    - name: hello
      image: file://./hello.wasm
      config: { greeting: ahoy }
      environment: { MODE: dev }
      volumeMounts: [{ name: scratch, mountPath: /data }]
      limits: { memory: 64Mi, timeoutMs: 5000, maxConcurrency: 16 }
  hostInterfaces:
    - { namespace: wasi, package: keyvalue, interfaces: [store, atomics], version: 0.2.0-draft }
    - { namespace: wasi, package: logging, interfaces: [logging], version: 0.1.0-draft }
    - { namespace: wasi, package: config, interfaces: [store], version: 0.2.0-rc.1 }
    - { namespace: wasi, package: http, interfaces: [incoming-handler], version: 0.2.0,
        config: { host: hello.localhost } }
  volumes:
    - { name: scratch, emptyDir: {} }
`;

function errorsOf(mutate: (w: Record<string, any>) => void): { path: string; message: string }[] {
  const doc = parse(example);
  mutate(doc);
  try {
    parseWorkload(doc);
  } catch (err) {
    if (err instanceof ManifestError) return [...err.issues];
    throw err;
  }
  return [];
}

describe('Workload schema', () => {
  it('accepts several named instances of one package, each with its own backend', () => {
    expect(
      errorsOf((w) =>
        w.spec.hostInterfaces.push(
          { ...w.spec.hostInterfaces[0], name: 'cache', config: { backend: 'memory' } },
          { ...w.spec.hostInterfaces[0], name: 'orders', config: { backend: 'nats' } },
        ),
      ),
    ).toEqual([]);
  });

  it('accepts the README example and fills defaults', () => {
    const w = parseWorkload(parse(example));
    expect(w.spec.replicas).toBe(1);
    expect(w.spec.components[0]!.limits?.memory).toBe('64Mi');
  });

  it.each([
    ['a component name that is not a DNS label', (w: any) => (w.spec.components[0].name = 'Hello_World'), 'spec.components[0].name'],
    ['no components', (w: any) => (w.spec.components = []), 'spec.components'],
    ['duplicate component names', (w: any) => w.spec.components.push({ ...w.spec.components[0] }), 'spec.components[1].name'],
    ['an https image without a digest', (w: any) => (w.spec.components[0].image = 'https://example.com/x.wasm'), 'spec.components[0].digest'],
    ['a malformed digest', (w: any) => (w.spec.components[0].digest = 'sha256:abc'), 'spec.components[0].digest'],
    ['a relative mountPath', (w: any) => (w.spec.components[0].volumeMounts[0].mountPath = 'data'), 'spec.components[0].volumeMounts[0].mountPath'],
    ['a mount of an undeclared volume', (w: any) => (w.spec.components[0].volumeMounts[0].name = 'other'), 'spec.components[0].volumeMounts[0].name'],
    ['a zero timeout', (w: any) => (w.spec.components[0].limits.timeoutMs = 0), 'spec.components[0].limits.timeoutMs'],
    ['a bad memory quantity', (w: any) => (w.spec.components[0].limits.memory = 'lots'), 'spec.components[0].limits.memory'],
    ['a memory limit above 4Gi (wasm32 cannot address more)', (w: any) => (w.spec.components[0].limits.memory = '5Gi'), 'spec.components[0].limits.memory'],
    ['a memory limit of 100Gi', (w: any) => (w.spec.components[0].limits.memory = '100Gi'), 'spec.components[0].limits.memory'],
    ['a memory limit with hundreds of digits', (w: any) => (w.spec.components[0].limits.memory = '9'.repeat(400)), 'spec.components[0].limits.memory'],
    ['a mountPath that climbs out with ..', (w: any) => (w.spec.components[0].volumeMounts[0].mountPath = '/../../../etc'), 'spec.components[0].volumeMounts[0].mountPath'],
    ['a mountPath with a . segment', (w: any) => (w.spec.components[0].volumeMounts[0].mountPath = '/data/./x'), 'spec.components[0].volumeMounts[0].mountPath'],
    ['a mountPath with an empty segment', (w: any) => (w.spec.components[0].volumeMounts[0].mountPath = '/data//x'), 'spec.components[0].volumeMounts[0].mountPath'],
    ['a mountPath with a trailing slash', (w: any) => (w.spec.components[0].volumeMounts[0].mountPath = '/data/'), 'spec.components[0].volumeMounts[0].mountPath'],
    ['one mountPath mounted twice', (w: any) => w.spec.components[0].volumeMounts.push({ name: 'scratch', mountPath: '/data' }), 'spec.components[0].volumeMounts[1].mountPath'],
    ['an interface list that is empty', (w: any) => (w.spec.hostInterfaces[0].interfaces = []), 'spec.hostInterfaces[0].interfaces'],
    ['a package that is not kebab-case', (w: any) => (w.spec.hostInterfaces[0].package = 'KeyValue'), 'spec.hostInterfaces[0].package'],
    ['duplicate host interfaces', (w: any) => w.spec.hostInterfaces.push({ ...w.spec.hostInterfaces[0] }), 'spec.hostInterfaces[4]'],
    ['two instances of one package with the same name', (w: any) => w.spec.hostInterfaces.push({ ...w.spec.hostInterfaces[0], name: 'c' }, { ...w.spec.hostInterfaces[0], name: 'c' }), 'spec.hostInterfaces[5]'],
    ['an instance name with upper case', (w: any) => (w.spec.hostInterfaces[0].name = 'Cache'), 'spec.hostInterfaces[0].name'],
    ['a volume with two kinds', (w: any) => (w.spec.volumes[0].hostPath = { path: '/tmp' }), 'spec.volumes[0]'],
    ['a volume with no kind', (w: any) => delete w.spec.volumes[0].emptyDir, 'spec.volumes[0]'],
    ['negative replicas', (w: any) => (w.spec.replicas = -1), 'spec.replicas'],
    ['an unknown field', (w: any) => (w.spec.components[0].imagee = 'x'), 'spec.components[0]'],
    ['a wrong apiVersion', (w: any) => (w.apiVersion = 'v1'), 'apiVersion'],
    ['a name that is not a DNS subdomain', (w: any) => (w.metadata.name = 'a/b'), 'metadata.name'],
    ['a namespace that is not a DNS label', (w: any) => (w.metadata.namespace = 'My_NS'), 'metadata.namespace'],
    ['a uid with path characters', (w: any) => (w.metadata.uid = '../..'), 'metadata.uid'],
  ])('rejects %s, naming the field', (_, mutate, path) => {
    const issues = errorsOf(mutate);
    expect(issues.map((i) => i.path)).toContain(path);
  });

  it.each(['4Gi', '4096Mi', '4294967296', '64Mi', '1G'])('accepts a memory limit of %s', (memory) => {
    expect(errorsOf((w) => (w.spec.components[0].limits.memory = memory))).toEqual([]);
  });

  it.each(['/', '/data', '/a/b.c/..d/...', '/.config'])('accepts the normalised mountPath %s', (mountPath) => {
    expect(errorsOf((w) => (w.spec.components[0].volumeMounts[0].mountPath = mountPath))).toEqual([]);
  });

  it('puts every issue in the error message', () => {
    try {
      parseWorkload({ apiVersion: 'runtime.skiff.dev/v1alpha1', kind: 'Workload', metadata: { name: 'x' }, spec: {} });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/spec\.components: /);
    }
  });
});
