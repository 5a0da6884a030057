import { describe, expect, it } from 'vitest';
import {
  apiVersionOf,
  EVENTS,
  HOSTS,
  LEASES,
  microTime,
  objectKey,
  PODS,
  resourcePath,
  splitKey,
  typed,
  WORKLOADS,
} from './resources.js';

describe('resources', () => {
  it('builds API paths for core and grouped, namespaced and cluster-wide requests', () => {
    expect(resourcePath(PODS, 'ns', 'p')).toBe('/api/v1/namespaces/ns/pods/p');
    expect(resourcePath(PODS)).toBe('/api/v1/pods');
    expect(resourcePath(WORKLOADS, 'ns', 'w', 'status')).toBe(
      '/apis/runtime.skiff.dev/v1alpha1/namespaces/ns/workloads/w/status',
    );
    expect(resourcePath(LEASES, 'kube-system')).toBe('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases');
    expect(resourcePath({ ...HOSTS, namespaced: false }, 'ignored', 'h')).toBe(
      '/apis/runtime.skiff.dev/v1alpha1/hosts/h',
    );
    expect(apiVersionOf(PODS)).toBe('v1');
    expect(apiVersionOf(EVENTS)).toBe('events.k8s.io/v1');
  });

  it('keys objects as namespace/name and splits keys back', () => {
    expect(objectKey({ metadata: { name: 'w', namespace: 'ns' } })).toBe('ns/w');
    expect(objectKey({ metadata: { name: 'node-1' } })).toBe('node-1');
    expect(splitKey('ns/w')).toEqual({ namespace: 'ns', name: 'w' });
    expect(splitKey('node-1')).toEqual({ namespace: undefined, name: 'node-1' });
  });

  it('fills in apiVersion and kind of list items', () => {
    expect(typed(PODS, { metadata: { name: 'p' } })).toMatchObject({ apiVersion: 'v1', kind: 'Pod' });
  });

  it('renders MicroTime with six fractional digits', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z');
  });
});
