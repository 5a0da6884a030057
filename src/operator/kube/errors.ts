/**
 * Errors of the Kubernetes access layer. Each has a stable `code` saying what happened and,
 * by implication, what to do next: NOT_FOUND and CONFLICT are normal control flow,
 * GONE means relist, UNAVAILABLE and BAD_RESPONSE mean retry with backoff, INVALID and
 * FORBIDDEN need a person (or a different request).
 */
import { z } from 'zod';

/** KubeErrorCode is the stable code of a KubeError. */
export type KubeErrorCode =
  | 'SKIFF_KUBE_NOT_FOUND'
  | 'SKIFF_KUBE_CONFLICT'
  | 'SKIFF_KUBE_GONE'
  | 'SKIFF_KUBE_FORBIDDEN'
  | 'SKIFF_KUBE_INVALID'
  | 'SKIFF_KUBE_UNAVAILABLE'
  | 'SKIFF_KUBE_BAD_RESPONSE';

/** KubeError is a failed API request: `status` is the HTTP status (0 without a response), `reason` the API's reason. */
export class KubeError extends Error {
  override readonly name = 'KubeError';
  readonly code: KubeErrorCode;
  readonly status: number;
  readonly reason: string;
  constructor(code: KubeErrorCode, status: number, reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = status;
    this.reason = reason;
  }
}

/** KubeConfigError is a kubeconfig (or in-cluster configuration) that cannot be loaded; the message names the file. */
export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
  readonly code = 'SKIFF_KUBE_CONFIG';
}

/** KubeTimeoutError is a wait (informer sync, leadership) that did not finish before its deadline. */
export class KubeTimeoutError extends Error {
  override readonly name = 'KubeTimeoutError';
  readonly code = 'SKIFF_KUBE_TIMEOUT';
}

/** statusSchema is metav1.Status as the API server sends it with an error. */
export const statusSchema = z.looseObject({
  kind: z.string().optional(),
  status: z.string().optional(),
  message: z
    .string()
    .max(64 * 1024)
    .optional(),
  reason: z.string().max(256).optional(),
  code: z.number().int().optional(),
  details: z
    .looseObject({
      causes: z
        .array(
          z.looseObject({
            field: z.string().max(1024).optional(),
            message: z.string().max(4096).optional(),
            reason: z.string().max(256).optional(),
          }),
        )
        .max(256)
        .optional(),
    })
    .optional(),
});

/** KubeStatus is a parsed metav1.Status. */
export type KubeStatus = z.infer<typeof statusSchema>;

/** codeForStatus maps an HTTP status to the KubeError code it means. */
export function codeForStatus(status: number): KubeErrorCode {
  if (status === 404) return 'SKIFF_KUBE_NOT_FOUND';
  if (status === 409) return 'SKIFF_KUBE_CONFLICT';
  if (status === 410) return 'SKIFF_KUBE_GONE';
  if (status === 401 || status === 403) return 'SKIFF_KUBE_FORBIDDEN';
  if (status === 429 || status >= 500 || status === 0) return 'SKIFF_KUBE_UNAVAILABLE';
  return 'SKIFF_KUBE_INVALID';
}

/** parseStatus reads a metav1.Status out of a response body, or undefined when it is not one. */
export function parseStatus(text: string): KubeStatus | undefined {
  try {
    const parsed = statusSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * errorFromStatus builds the KubeError for a failed request: the API server's message
 * (which names the offending field for INVALID) plus the fields of its causes.
 */
export function errorFromStatus(what: string, status: number, body: KubeStatus | undefined, text = ''): KubeError {
  const code = codeForStatus(status);
  const reason = body?.reason || (status === 0 ? 'NetworkError' : `HTTP${status}`);
  let message = body?.message || text.slice(0, 512).trim() || `HTTP ${status}`;
  const fields = (body?.details?.causes ?? [])
    .map((c) => c.field)
    .filter((f): f is string => !!f && !message.includes(f));
  if (fields.length > 0) message += ` (fields: ${fields.join(', ')})`;
  return new KubeError(code, status, reason, `${what}: ${message}`);
}

/** isKubeError tells whether `err` is a KubeError with `code`. */
export function isKubeError(err: unknown, code?: KubeErrorCode): err is KubeError {
  return err instanceof KubeError && (code === undefined || err.code === code);
}
