import { describe, expect, it } from 'vitest';
import type { Workload, WorkloadSpec } from '../../api/index.js';
import { missingMessage, referencesOf, refersTo, resolve } from './references.js';

const spec: WorkloadSpec = {
  replicas: 1,
  components: [
    {
      name: 'web',
      image: 'ghcr.io/team/web:1',
      imagePullSecret: 'regcred',
      configFrom: [{ name: 'app' }, { name: 'extra', optional: true }],
      secretFrom: [{ name: 'creds' }],
    },
  ],
  hostInterfaces: [
    { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], configFrom: [{ name: 'app' }] },
  ],
  volumes: [
    { name: 'certs', secret: { secretName: 'creds', optional: true } },
    { name: 'more', configMap: { name: 'extra', optional: true } },
  ],
};

const workload = (s: WorkloadSpec, generation = 1): Workload => ({
  apiVersion: 'runtime.skiff.dev/v1alpha1',
  kind: 'Workload',
  metadata: { name: 'web', namespace: 'team', uid: 'uid-1', generation },
  spec: s,
});

describe('references', () => {
  it('lists each object once: optional only if every use allows it, pull-only secrets apart', () => {
    expect(referencesOf(spec)).toEqual([
      { kind: 'ConfigMap', name: 'app', optional: false, content: true, pull: false },
      { kind: 'ConfigMap', name: 'extra', optional: true, content: true, pull: false },
      { kind: 'Secret', name: 'creds', optional: false, content: true, pull: false },
      { kind: 'Secret', name: 'regcred', optional: false, content: false, pull: true },
    ]);
    expect(refersTo(spec, 'Secret', 'regcred')).toBe(true);
    expect(refersTo(spec, 'ConfigMap', 'creds')).toBe(false);
  });

  it('hashes the spec (uid and generation) and the contents objects resourceVersions into a revision', () => {
    const versions: Record<string, string> = { 'ConfigMap/app': '10', 'Secret/creds': '11', 'Secret/regcred': '12' };
    const at = (v: Record<string, string>) => resolve(workload(spec), (kind, name) => v[`${kind}/${name}`]);
    const r1 = at(versions);
    expect(r1.revision).toMatch(/^[0-9a-f]{16}$/);
    expect(r1.missing).toEqual([]);
    expect(at(versions).revision, 'stable').toBe(r1.revision);
    expect(at({ ...versions, 'ConfigMap/app': '13' }).revision, 'a ConfigMap changed').not.toBe(r1.revision);
    expect(at({ ...versions, 'ConfigMap/extra': '1' }).revision, 'an optional one appeared').not.toBe(r1.revision);
    expect(at({ ...versions, 'Secret/regcred': '99' }).revision, 'a pull secret rotated').toBe(r1.revision);
    const other = resolve(workload(spec, 2), (kind, name) => versions[`${kind}/${name}`]);
    expect(other.revision, 'the spec changed (a new generation)').not.toBe(r1.revision);
  });

  it('lists what is missing, pull secrets included, and names it', () => {
    const r = resolve(workload(spec), (kind, name) => (kind === 'ConfigMap' && name === 'app' ? '1' : undefined));
    expect(r.missing.map((m) => `${m.kind}/${m.name}`)).toEqual(['Secret/creds', 'Secret/regcred']);
    expect(missingMessage('team', r.missing)).toBe('Secret creds, Secret regcred not found in namespace team');
  });

  it('has no revision for a workload naming nothing for its contents', () => {
    const plain: WorkloadSpec = {
      ...spec,
      components: [{ name: 'web', image: 'ghcr.io/team/web:1' }],
      hostInterfaces: [],
      volumes: [],
    };
    expect(resolve(workload(plain), () => undefined)).toMatchObject({ revision: undefined, missing: [] });
  });
});
