/**
 * The WIT `error-code` variant of `wasi:http/types` as jco represents it (case names as
 * tags), the mapping of fetch failures onto it, and `http-error-code`.
 */
import { io } from '../../shared/shim.js';

/** FieldSizePayload is the WIT `field-size-payload` record. */
export interface FieldSizePayload {
  fieldName: string | undefined;
  fieldSize: number | undefined;
}

/** ErrorCode is the WIT `error-code` variant. */
export type ErrorCode =
  | { tag: 'DNS-timeout' }
  | { tag: 'DNS-error'; val: { rcode: string | undefined; infoCode: number | undefined } }
  | { tag: 'destination-not-found' }
  | { tag: 'destination-unavailable' }
  | { tag: 'destination-IP-prohibited' }
  | { tag: 'destination-IP-unroutable' }
  | { tag: 'connection-refused' }
  | { tag: 'connection-terminated' }
  | { tag: 'connection-timeout' }
  | { tag: 'connection-read-timeout' }
  | { tag: 'connection-write-timeout' }
  | { tag: 'connection-limit-reached' }
  | { tag: 'TLS-protocol-error' }
  | { tag: 'TLS-certificate-error' }
  | { tag: 'TLS-alert-received'; val: { alertId: number | undefined; alertMessage: string | undefined } }
  | { tag: 'HTTP-request-denied' }
  | { tag: 'HTTP-request-length-required' }
  | { tag: 'HTTP-request-body-size'; val: bigint | undefined }
  | { tag: 'HTTP-request-method-invalid' }
  | { tag: 'HTTP-request-URI-invalid' }
  | { tag: 'HTTP-request-URI-too-long' }
  | { tag: 'HTTP-request-header-section-size'; val: number | undefined }
  | { tag: 'HTTP-request-header-size'; val: FieldSizePayload | undefined }
  | { tag: 'HTTP-request-trailer-section-size'; val: number | undefined }
  | { tag: 'HTTP-request-trailer-size'; val: FieldSizePayload }
  | { tag: 'HTTP-response-incomplete' }
  | { tag: 'HTTP-response-header-section-size'; val: number | undefined }
  | { tag: 'HTTP-response-header-size'; val: FieldSizePayload }
  | { tag: 'HTTP-response-body-size'; val: bigint | undefined }
  | { tag: 'HTTP-response-trailer-section-size'; val: number | undefined }
  | { tag: 'HTTP-response-trailer-size'; val: FieldSizePayload }
  | { tag: 'HTTP-response-transfer-coding'; val: string | undefined }
  | { tag: 'HTTP-response-content-coding'; val: string | undefined }
  | { tag: 'HTTP-response-timeout' }
  | { tag: 'HTTP-upgrade-failed' }
  | { tag: 'HTTP-protocol-error' }
  | { tag: 'loop-detected' }
  | { tag: 'configuration-error' }
  | { tag: 'internal-error'; val: string | undefined };

/** internalError is `error-code.internal-error(message)`. */
export function internalError(message: string): ErrorCode {
  return { tag: 'internal-error', val: message };
}

const CODE_BY_ERRNO: Record<string, ErrorCode> = {
  SKIFF_EGRESS_PROHIBITED: { tag: 'destination-IP-prohibited' },
  ECONNREFUSED: { tag: 'connection-refused' },
  ECONNRESET: { tag: 'connection-terminated' },
  EPIPE: { tag: 'connection-terminated' },
  UND_ERR_SOCKET: { tag: 'connection-terminated' },
  UND_ERR_CLOSED: { tag: 'connection-terminated' },
  ETIMEDOUT: { tag: 'connection-timeout' },
  UND_ERR_CONNECT_TIMEOUT: { tag: 'connection-timeout' },
  UND_ERR_HEADERS_TIMEOUT: { tag: 'HTTP-response-timeout' },
  UND_ERR_BODY_TIMEOUT: { tag: 'connection-read-timeout' },
  EHOSTUNREACH: { tag: 'destination-unavailable' },
  ENETUNREACH: { tag: 'destination-IP-unroutable' },
  UND_ERR_INFO: { tag: 'HTTP-protocol-error' },
  HPE_INVALID_CONSTANT: { tag: 'HTTP-protocol-error' },
};

/**
 * fetchErrorCode maps a failure of `fetch` (or of reading its body) onto an error code.
 * `timedOut` says the request's own timeout signal fired.
 */
export function fetchErrorCode(
  err: unknown,
  timedOut: 'connect' | 'first-byte' | 'between-bytes' | undefined,
): ErrorCode {
  if (timedOut === 'connect') return { tag: 'connection-timeout' };
  if (timedOut === 'first-byte') return { tag: 'HTTP-response-timeout' };
  if (timedOut === 'between-bytes') return { tag: 'connection-read-timeout' };
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
        return { tag: 'DNS-error', val: { rcode: code, infoCode: undefined } };
      }
      if (code.startsWith('ERR_TLS_') || code.includes('CERT') || code.startsWith('SELF_SIGNED')) {
        return { tag: 'TLS-certificate-error' };
      }
      const mapped = CODE_BY_ERRNO[code];
      if (mapped) return mapped;
      if (code.startsWith('HPE_')) return { tag: 'HTTP-protocol-error' };
    }
    e = (e as { cause?: unknown }).cause;
  }
  const cause = (err as { cause?: { message?: unknown } } | null)?.cause?.message;
  const message = err instanceof Error ? err.message : String(err);
  return internalError(typeof cause === 'string' ? `${message}: ${cause}` : message);
}

const codes = new WeakMap<object, ErrorCode>();

/** streamError creates a `wasi:io/error` carrying `code`, for `http-error-code` to find. */
export function streamError(code: ErrorCode, message: string): unknown {
  const error = io.ioErrorCreate(message) as object;
  codes.set(error, code);
  return error;
}

/** httpErrorCode is `http-error-code`: the error code behind an io-error a body stream failed with. */
export function httpErrorCode(err: unknown): ErrorCode | undefined {
  return err !== null && typeof err === 'object' ? codes.get(err) : undefined;
}
