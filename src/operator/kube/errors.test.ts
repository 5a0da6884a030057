import { describe, expect, it } from 'vitest';
import { codeForStatus, errorFromStatus, KubeError, parseStatus } from './errors.js';

describe('codeForStatus', () => {
  it('maps HTTP statuses to stable codes', () => {
    const codes = [0, 400, 401, 403, 404, 409, 410, 422, 429, 500, 503, 504].map(codeForStatus);
    expect(codes).toEqual([
      'SKIFF_KUBE_UNAVAILABLE',
      'SKIFF_KUBE_INVALID',
      'SKIFF_KUBE_FORBIDDEN',
      'SKIFF_KUBE_FORBIDDEN',
      'SKIFF_KUBE_NOT_FOUND',
      'SKIFF_KUBE_CONFLICT',
      'SKIFF_KUBE_GONE',
      'SKIFF_KUBE_INVALID',
      'SKIFF_KUBE_UNAVAILABLE',
      'SKIFF_KUBE_UNAVAILABLE',
      'SKIFF_KUBE_UNAVAILABLE',
      'SKIFF_KUBE_UNAVAILABLE',
    ]);
  });
});

describe('errorFromStatus', () => {
  it('keeps the server message and adds cause fields it does not name', () => {
    const status = parseStatus(
      JSON.stringify({
        kind: 'Status',
        code: 422,
        reason: 'Invalid',
        message: 'Workload.runtime.skiff.dev "w" is invalid: spec.replicas: Invalid value: -1',
        details: { causes: [{ field: 'spec.replicas' }, { field: 'spec.components[0].name' }] },
      }),
    );
    const err = errorFromStatus('apply Workload ns/w', 422, status);
    expect(err).toBeInstanceOf(KubeError);
    expect(err).toMatchObject({ code: 'SKIFF_KUBE_INVALID', status: 422, reason: 'Invalid' });
    expect(err.message).toBe(
      'apply Workload ns/w: Workload.runtime.skiff.dev "w" is invalid: spec.replicas: Invalid value: -1 (fields: spec.components[0].name)',
    );
  });

  it('treats a server-side apply type error (HTTP 500) as INVALID', () => {
    const status = parseStatus(
      '{"kind":"Status","code":500,"message":"failed to create typed patch object (/a; /v1, Kind=ConfigMap): .data.x: expected string"}',
    );
    expect(errorFromStatus('apply', 500, status).code).toBe('SKIFF_KUBE_INVALID');
    expect(errorFromStatus('get', 500, parseStatus('{"message":"etcd down"}')).code).toBe('SKIFF_KUBE_UNAVAILABLE');
  });

  it('falls back to the body text when it is not a Status', () => {
    const err = errorFromStatus('get x', 502, parseStatus('<html>bad gateway</html>'), '<html>bad gateway</html>');
    expect(err).toMatchObject({ code: 'SKIFF_KUBE_UNAVAILABLE', reason: 'HTTP502' });
    expect(err.message).toBe('get x: <html>bad gateway</html>');
  });
});
