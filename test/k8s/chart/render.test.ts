/**
 * What `helm template` produces: the operator Deployment (replicas, probes, downward API,
 * restricted security context), its PodDisruptionBudget, metrics Service and optional
 * ServiceMonitor; the host ServiceAccount; bundled or external NATS with each kind of
 * credentials; the optional HostConfig; RBAC in cluster or namespaced mode.
 */
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../cluster.js';
import { container, env, find, kinds, template } from './helm.js';

const operatorOf = (docs: Manifest[]) => find(docs, 'Deployment', 'skiff-operator');

describe('chart rendering', () => {
  it('renders the operator with two replicas, probes on the health port and the downward API', async () => {
    const docs = await template(undefined);
    const d = operatorOf(docs);
    expect(d.metadata.namespace).toBe('skiff-system');
    expect(d.spec.replicas).toBe(2);
    const c = container(d, 'operator');
    expect(c.image).toBe('skiff:0.1.0');
    expect(c.args).toEqual([
      'operator',
      '--health-port=8081',
      '--metrics-port=9465',
      '--bind=0.0.0.0',
      '--host-image=skiff:0.1.0',
      '--host-image-pull-policy=IfNotPresent',
      '--host-service-account=skiff-host',
    ]);
    expect(c.ports).toEqual([
      { name: 'health', containerPort: 8081, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9465, protocol: 'TCP' },
    ]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    const e = env(c);
    expect(e.SKIFF_POD_NAME).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    expect(e.SKIFF_POD_NAMESPACE).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    expect(e.SKIFF_NATS_URL).toBe('nats://skiff-nats.skiff-system.svc:4222');
    expect(d.spec.template.spec.serviceAccountName).toBe('skiff-operator');
  });

  it('runs every pod under the restricted Pod Security Standard', async () => {
    const docs = await template(undefined);
    for (const w of [operatorOf(docs), find(docs, 'StatefulSet', 'skiff-nats')]) {
      const pod = w.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of pod.containers as Manifest[]) {
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
  });

  it('a PodDisruptionBudget and a metrics Service by default; a ServiceMonitor on request', async () => {
    const docs = await template(undefined);
    expect(find(docs, 'PodDisruptionBudget').spec).toMatchObject({ maxUnavailable: 1 });
    const svc = find(docs, 'Service', 'skiff-operator-metrics');
    expect(svc.spec.ports).toEqual([{ name: 'metrics', port: 9465, targetPort: 'metrics', protocol: 'TCP' }]);
    expect(svc.spec.selector).toEqual(find(docs, 'PodDisruptionBudget').spec.selector.matchLabels);
    expect(docs.some((d) => d.kind === 'ServiceMonitor')).toBe(false);

    const more = await template(undefined, {
      'metrics.serviceMonitor.enabled': true,
      'metrics.serviceMonitor.labels': { release: 'prometheus' },
      'operator.podDisruptionBudget.enabled': false,
    });
    const sm = find(more, 'ServiceMonitor');
    expect(sm.metadata.labels.release).toBe('prometheus');
    expect(sm.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    expect(more.some((d) => d.kind === 'PodDisruptionBudget')).toBe(false);
  });

  it('host pods get a ServiceAccount with no token, bound to nothing', async () => {
    const docs = await template(undefined);
    const sa = find(docs, 'ServiceAccount', 'skiff-host');
    expect(sa.automountServiceAccountToken).toBe(false);
    const bindings = docs.filter((d) => d.kind === 'RoleBinding' || d.kind === 'ClusterRoleBinding');
    expect(bindings.length).toBeGreaterThan(0);
    for (const b of bindings) expect(b.subjects).toEqual([expect.objectContaining({ name: 'skiff-operator' })]);
  });

  it('bundles NATS with JetStream on a volume by default', async () => {
    const docs = await template(undefined);
    const sts = find(docs, 'StatefulSet', 'skiff-nats');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('1Gi');
    expect(container(sts, 'nats').image).toBe('nats:2.12-alpine');
    expect(find(docs, 'ConfigMap', 'skiff-nats').data['nats.conf']).toMatch(/jetstream \{\s+store_dir: \/data/);
    expect(find(docs, 'Service', 'skiff-nats').spec.ports).toEqual([
      { name: 'client', port: 4222, targetPort: 'client', protocol: 'TCP' },
    ]);
    const sized = await template(undefined, {
      'nats.bundled.image': { repository: 'mirror.example.com/nats', tag: '2.11.9', pullPolicy: 'Always' },
      'nats.bundled.storage': { size: '20Gi', storageClassName: 'fast' },
      'nats.bundled.resources': { limits: { memory: '2Gi' } },
    });
    const s2 = find(sized, 'StatefulSet');
    expect(container(s2, 'nats').image).toBe('mirror.example.com/nats:2.11.9');
    // helm merges maps: the default requests stay.
    expect(container(s2, 'nats').resources).toEqual({
      requests: { cpu: '50m', memory: '64Mi' },
      limits: { memory: '2Gi' },
    });
    expect(s2.spec.volumeClaimTemplates[0].spec).toMatchObject({
      storageClassName: 'fast',
      resources: { requests: { storage: '20Gi' } },
    });
  });

  it('bundled NATS with a token: the server requires it and the operator presents it', async () => {
    const docs = await template(undefined, { 'nats.auth': { type: 'token', secretName: 'nats-token' } });
    expect(find(docs, 'ConfigMap').data['nats.conf']).toMatch(/authorization \{\s+token: \$NATS_TOKEN/);
    const ref = { secretKeyRef: { name: 'nats-token', key: 'token' } };
    expect(env(container(find(docs, 'StatefulSet'), 'nats')).NATS_TOKEN).toEqual(ref);
    expect(env(container(operatorOf(docs), 'operator')).SKIFF_NATS_TOKEN).toEqual(ref);
    expect(find(docs, 'HostConfig').spec.nats).toEqual({
      url: 'nats://skiff-nats.skiff-system.svc:4222',
      credentialsSecret: 'nats-token',
    });
  });

  it('external NATS: no StatefulSet; URL, credentials file and TLS files reach the operator', async () => {
    const docs = await template(undefined, {
      'nats.bundled.enabled': false,
      'nats.url': 'tls://nats.example.com:4222',
      'nats.auth': { type: 'creds', secretName: 'nats-creds' },
      'nats.tls': { secretName: 'nats-tls', clientCertificate: true },
    });
    expect(kinds(docs).filter((k) => k.includes('nats'))).toEqual([]);
    const d = operatorOf(docs);
    const c = container(d, 'operator');
    expect(env(c)).toMatchObject({
      SKIFF_NATS_URL: 'tls://nats.example.com:4222',
      SKIFF_NATS_CREDS: '/etc/skiff/nats-auth/creds',
      SKIFF_NATS_TLS_CA: '/etc/skiff/nats-tls/ca.crt',
      SKIFF_NATS_TLS_CERT: '/etc/skiff/nats-tls/tls.crt',
      SKIFF_NATS_TLS_KEY: '/etc/skiff/nats-tls/tls.key',
    });
    expect(c.volumeMounts.map((m: Manifest) => m.mountPath)).toEqual([
      '/tmp',
      '/etc/skiff/nats-auth',
      '/etc/skiff/nats-tls',
    ]);
    expect(d.spec.template.spec.volumes.map((v: Manifest) => v.secret?.secretName)).toEqual([
      undefined,
      'nats-creds',
      'nats-tls',
    ]);
    const hc = find(docs, 'HostConfig');
    expect(hc.spec.nats).toEqual({ url: 'tls://nats.example.com:4222', credentialsSecret: 'nats-creds' });
  });

  it('a user and password from a Secret', async () => {
    const docs = await template(undefined, { 'nats.auth': { type: 'userPassword', secretName: 'nats-user' } });
    expect(env(container(operatorOf(docs), 'operator'))).toMatchObject({
      SKIFF_NATS_USER: { secretKeyRef: { name: 'nats-user', key: 'user' } },
      SKIFF_NATS_PASSWORD: { secretKeyRef: { name: 'nats-user', key: 'password' } },
    });
    expect(find(docs, 'ConfigMap').data['nats.conf']).toMatch(/user: \$NATS_USER\s+password: \$NATS_PASSWORD/);
  });

  it('the default HostConfig follows the values, and can be left out', async () => {
    const docs = await template(undefined, {
      'image.repository': 'registry.example.com/skiff',
      'image.tag': '0.2.0',
      'hostConfig.replicas': 5,
      'hostConfig.labels': { zone: 'a' },
      'hostConfig.plugins': { messaging: { enabled: false, backend: 'nats' } },
    });
    const hc = find(docs, 'HostConfig', 'default');
    // No image: the operator's --host-image (the chart image) applies, as for every HostConfig.
    expect(hc.spec.image).toBeUndefined();
    expect(container(operatorOf(docs), 'operator').args).toContain('--host-image=registry.example.com/skiff:0.2.0');
    expect(hc.spec).toMatchObject({
      replicas: 5,
      labels: { zone: 'a' },
      http: { port: 8080 },
      plugins: { messaging: { enabled: false, backend: 'nats' } },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
    });
    expect(container(operatorOf(docs), 'operator').image).toBe('registry.example.com/skiff:0.2.0');
    const own = await template(undefined, { 'hostConfig.image': 'registry.example.com/host:1' });
    expect(find(own, 'HostConfig').spec.image).toBe('registry.example.com/host:1');
    expect(container(operatorOf(own), 'operator').args).toContain('--host-image=registry.example.com/host:1');
    const none = await template(undefined, { 'hostConfig.create': false });
    expect(none.some((d) => d.kind === 'HostConfig')).toBe(false);
  });

  it('RBAC: a ClusterRole by default; Roles in the watched namespaces when listed', async () => {
    const cluster = await template(undefined);
    expect(kinds(cluster).filter((k) => k.includes('Role'))).toEqual([
      'ClusterRole/skiff-operator-skiff-system',
      'ClusterRoleBinding/skiff-operator-skiff-system',
      'Role/skiff-operator-leader',
      'RoleBinding/skiff-operator-leader',
    ]);
    const scoped = await template(undefined, { 'operator.watchNamespaces': ['team-a', 'team-b'] });
    const roles = scoped.filter((d) => d.kind === 'Role' && d.metadata.name === 'skiff-operator');
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(['skiff-system', 'team-a', 'team-b']);
    expect(find(scoped, 'ClusterRole').rules).toEqual([
      { apiGroups: ['runtime.skiff.dev'], resources: ['hosts'], verbs: ['list'] },
    ]);
    expect(container(operatorOf(scoped), 'operator').args).toContain('--namespace=team-a');
    expect(container(operatorOf(scoped), 'operator').args).toContain('--namespace=team-b');
    const hostAccounts = scoped.filter((d) => d.kind === 'ServiceAccount' && d.metadata.name === 'skiff-host');
    expect(hostAccounts.map((a) => a.metadata.namespace).sort()).toEqual(['skiff-system', 'team-a', 'team-b']);
  });

  it('names everything after the release, so two releases do not collide', async () => {
    const docs = await template(undefined, {}, { name: 'edge', namespace: 'skiff-edge' });
    expect(kinds(docs)).toContain('Deployment/edge-operator');
    expect(kinds(docs)).toContain('ClusterRole/edge-operator-skiff-edge');
    const url = env(container(find(docs, 'Deployment'), 'operator')).SKIFF_NATS_URL;
    expect(url).toBe('nats://edge-nats.skiff-edge.svc:4222');
  });
});
