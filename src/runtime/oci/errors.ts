/**
 * OCI pull and push failures: one class per failure, each naming the reference and what
 * failed. All are `SkiffError`s so a workload start reports them with a stable `code`.
 */
import { SkiffError } from '../errors.js';

/** OciReferenceError means an image reference cannot be parsed or lacks a registry host. */
export class OciReferenceError extends SkiffError {
  constructor(message: string) {
    super('SKIFF_OCI_BAD_REFERENCE', message);
  }
}

/** OciNotFoundError means the registry has no such tag, manifest, repository or blob. */
export class OciNotFoundError extends SkiffError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SKIFF_OCI_NOT_FOUND', message, options);
  }
}

/** OciUnauthorizedError means the registry refused the credentials (or their absence). */
export class OciUnauthorizedError extends SkiffError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SKIFF_OCI_UNAUTHORIZED', message, options);
  }
}

/** OciMediaTypeError means the artifact is not a wasm component in a layout Skiff reads. */
export class OciMediaTypeError extends SkiffError {
  constructor(message: string) {
    super('SKIFF_OCI_MEDIA_TYPE', message);
  }
}

/** OciUnreachableError means the registry could not be reached (DNS, refused, TLS, timeout). */
export class OciUnreachableError extends SkiffError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SKIFF_OCI_UNREACHABLE', message, options);
  }
}

/** OciNotPresentError means imagePullPolicy is Never and the artifact is not in the cache. */
export class OciNotPresentError extends SkiffError {
  constructor(message: string) {
    super('SKIFF_OCI_NOT_PRESENT', message);
  }
}

/** OciRegistryError is any other refusal from the registry (5xx, unexpected status, bad body). */
export class OciRegistryError extends SkiffError {
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super('SKIFF_OCI_REGISTRY', message, options);
    this.status = status;
  }
}
