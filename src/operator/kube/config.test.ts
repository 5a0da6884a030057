import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeSource, SERVICE_ACCOUNT_TOKEN } from './config.js';

describe('kubeSource', () => {
  const inPod = { KUBERNETES_SERVICE_HOST: '10.0.0.1', HOME: '/home/op' };
  const tokenPresent = (p: string) => p === SERVICE_ACCOUNT_TOKEN;

  it('prefers an explicit path, then KUBECONFIG, then the service account, then ~/.kube/config', () => {
    const env = { ...inPod, KUBECONFIG: '/a:/b' };
    expect(kubeSource({ kubeconfig: '/x' }, env, tokenPresent)).toEqual({ kind: 'files', files: ['/x'] });
    expect(kubeSource({}, env, tokenPresent)).toEqual({ kind: 'files', files: ['/a', '/b'] });
    expect(kubeSource({}, inPod, tokenPresent)).toEqual({ kind: 'in-cluster' });
    expect(kubeSource({}, inPod, () => false)).toEqual({ kind: 'files', files: [join('/home/op', '.kube', 'config')] });
    expect(kubeSource({}, { HOME: '/h' }, tokenPresent)).toEqual({
      kind: 'files',
      files: [join('/h', '.kube', 'config')],
    });
  });
});
