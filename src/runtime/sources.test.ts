import { describe, expect, it } from 'vitest';
import type { Workload } from '../api/index.js';
import { ConfigSources, hasConfigLayers, withConfigLayers } from './sources.js';

const text = (entries: Record<string, string>) =>
  new Map(Object.entries(entries).map(([k, v]) => [k, new TextEncoder().encode(v)]));

function workload(spec: Partial<Workload['spec']>): Workload {
  return {
    apiVersion: 'runtime.skiff.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name: 'w', namespace: 'ns' },
    spec: { replicas: 1, volumes: [], hostInterfaces: [], components: [{ name: 'c', image: 'file:///x' }], ...spec },
  };
}

describe('config layers', () => {
  const sources = new ConfigSources()
    .add('ConfigMap', 'base', text({ a: 'cm-base', b: 'cm-base', c: 'cm-base' }))
    .add('ConfigMap', 'override', text({ b: 'cm-override' }))
    .add('Secret', 'creds', text({ c: 'secret', token: 's3cret' }))
    .add('ConfigMap', 'gone', null);

  it('layers config, then configFrom, then secretFrom, each list in order (a later layer wins)', () => {
    const w = workload({
      components: [
        {
          name: 'c',
          image: 'file:///x',
          config: { a: 'literal', z: 'literal' },
          configFrom: [{ name: 'base' }, { name: 'override' }],
          secretFrom: [{ name: 'creds' }],
        },
      ],
      hostInterfaces: [
        { namespace: 'wasi', package: 'http', interfaces: ['incoming-handler'], configFrom: [{ name: 'override' }] },
        { namespace: 'wasi', package: 'config', interfaces: ['store'], config: { only: 'literal' } },
      ],
    });
    const out = withConfigLayers(w, sources);
    expect(out.spec.components[0]!.config).toEqual({
      a: 'cm-base',
      b: 'cm-override',
      c: 'secret',
      token: 's3cret',
      z: 'literal',
    });
    expect(out.spec.hostInterfaces[0]!.config).toEqual({ b: 'cm-override' });
    expect(out.spec.hostInterfaces[1]!.config).toEqual({ only: 'literal' });
    expect(w.spec.components[0]!.config, 'the input is not changed').toEqual({ a: 'literal', z: 'literal' });
  });

  it('skips an optional object that does not exist, and refuses a required one', () => {
    const optional = workload({
      components: [{ name: 'c', image: 'file:///x', configFrom: [{ name: 'gone', optional: true }] }],
    });
    expect(withConfigLayers(optional, sources).spec.components[0]!.config).toEqual({});
    const required = workload({ components: [{ name: 'c', image: 'file:///x', configFrom: [{ name: 'gone' }] }] });
    expect(() => withConfigLayers(required, sources)).toThrow(
      expect.objectContaining({ code: 'SKIFF_CONFIG_NOT_FOUND', message: 'ConfigMap gone does not exist' }),
    );
  });

  it('refuses an object the start did not bring, even when optional', () => {
    const w = workload({
      components: [{ name: 'c', image: 'file:///x', secretFrom: [{ name: 'other', optional: true }] }],
    });
    expect(() => withConfigLayers(w, sources)).toThrow(expect.objectContaining({ code: 'SKIFF_CONFIG_NOT_FOUND' }));
  });

  it('refuses a Secret value that is not UTF-8 without showing it', () => {
    const binary = new ConfigSources().add('Secret', 'bin', new Map([['key', new Uint8Array([0xff, 0xfe, 0x41])]]));
    const w = workload({ components: [{ name: 'c', image: 'file:///x', secretFrom: [{ name: 'bin' }] }] });
    const err = (() => {
      try {
        withConfigLayers(w, binary);
      } catch (e) {
        return e as Error & { code: string };
      }
    })();
    expect(err?.code).toBe('SKIFF_CONFIG_INVALID');
    expect(err?.message).toBe('Secret bin: the value of key "key" is not UTF-8 text');
  });

  it('leaves a workload without layers as it is', () => {
    const w = workload({});
    expect(hasConfigLayers(w)).toBe(false);
    expect(withConfigLayers(w, new ConfigSources())).toBe(w);
  });
});
