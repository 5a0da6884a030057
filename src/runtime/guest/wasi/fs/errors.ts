/**
 * `wasi:filesystem` error codes: the enum values a guest sees, the map from Node's errno
 * codes, and how a stream error carries its code to `filesystem-error-code`.
 */
import { io } from '../../../shared/shim.js';

/** ErrorCode is a `wasi:filesystem/types` `error-code` enum value, in jco's kebab-case form. */
export type ErrorCode =
  | 'access'
  | 'would-block'
  | 'already'
  | 'bad-descriptor'
  | 'busy'
  | 'deadlock'
  | 'quota'
  | 'exist'
  | 'file-too-large'
  | 'illegal-byte-sequence'
  | 'in-progress'
  | 'interrupted'
  | 'invalid'
  | 'io'
  | 'is-directory'
  | 'loop'
  | 'too-many-links'
  | 'message-size'
  | 'name-too-long'
  | 'no-device'
  | 'no-entry'
  | 'no-lock'
  | 'insufficient-memory'
  | 'insufficient-space'
  | 'not-directory'
  | 'not-empty'
  | 'not-recoverable'
  | 'unsupported'
  | 'no-tty'
  | 'no-such-device'
  | 'overflow'
  | 'not-permitted'
  | 'pipe'
  | 'read-only'
  | 'invalid-seek'
  | 'text-file-busy'
  | 'cross-device';

const ERRNO: Readonly<Record<string, ErrorCode>> = {
  EACCES: 'access',
  EAGAIN: 'would-block',
  EWOULDBLOCK: 'would-block',
  EALREADY: 'already',
  EBADF: 'bad-descriptor',
  EBUSY: 'busy',
  EDEADLK: 'deadlock',
  EDQUOT: 'quota',
  EEXIST: 'exist',
  EFBIG: 'file-too-large',
  EILSEQ: 'illegal-byte-sequence',
  EINPROGRESS: 'in-progress',
  EINTR: 'interrupted',
  EINVAL: 'invalid',
  EIO: 'io',
  EISDIR: 'is-directory',
  ELOOP: 'loop',
  EMLINK: 'too-many-links',
  EMSGSIZE: 'message-size',
  ENAMETOOLONG: 'name-too-long',
  ENODEV: 'no-device',
  ENOENT: 'no-entry',
  ENOLCK: 'no-lock',
  ENOMEM: 'insufficient-memory',
  ENOSPC: 'insufficient-space',
  ENOTDIR: 'not-directory',
  ENOTEMPTY: 'not-empty',
  ENOTRECOVERABLE: 'not-recoverable',
  ENOTSUP: 'unsupported',
  EOPNOTSUPP: 'unsupported',
  ENOTTY: 'no-tty',
  ENXIO: 'no-such-device',
  EOVERFLOW: 'overflow',
  EPERM: 'not-permitted',
  EPIPE: 'pipe',
  EROFS: 'read-only',
  ESPIPE: 'invalid-seek',
  ETXTBSY: 'text-file-busy',
  EXDEV: 'cross-device',
};

/**
 * toErrorCode maps a thrown value to an `error-code`: a code we threw ourselves passes
 * through, a Node system error maps by errno, and anything else (a host bug) is rethrown
 * so it traps the instance instead of masquerading as a guest-visible error.
 */
export function toErrorCode(err: unknown): ErrorCode {
  if (typeof err === 'string') return err as ErrorCode;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in ERRNO) return ERRNO[code]!;
  // A system call failed in a way WASI has no name for: the guest sees an I/O error.
  if (typeof code === 'string' && typeof (err as { syscall?: unknown }).syscall === 'string') return 'io';
  throw err;
}

/** wasiCall runs `fn`, turning Node fs errors into thrown `error-code` strings (jco's enum error shape). */
export function wasiCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toErrorCode(err);
  }
}

const fsErrorCode = Symbol('skiff.wasi.filesystem-error-code');

/** streamError builds the `last-operation-failed` stream error whose io error carries `code`. */
export function streamError(err: unknown): { tag: 'last-operation-failed'; val: unknown } {
  const code = toErrorCode(err);
  const ioError = io.ioErrorCreate(`filesystem error: ${code}`);
  Object.defineProperty(ioError, fsErrorCode, { value: code });
  return { tag: 'last-operation-failed', val: ioError };
}

/** filesystemErrorCode returns the `error-code` behind a stream's io error, if it came from a file. */
export function filesystemErrorCode(ioError: unknown): ErrorCode | undefined {
  if (ioError === null || typeof ioError !== 'object') return undefined;
  return (ioError as { [fsErrorCode]?: ErrorCode })[fsErrorCode];
}
