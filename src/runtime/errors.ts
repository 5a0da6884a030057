/**
 * The host's error catalog: one class per failure, each with a stable `code`.
 * Guest-visible WIT errors are not here: plugins throw WIT error values (`{ tag: ... }`).
 */

/** SkiffError is the base of every error the host raises on purpose. */
export class SkiffError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** InvalidComponentError means the bytes are not a loadable WebAssembly component. */
export class InvalidComponentError extends SkiffError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SKIFF_INVALID_COMPONENT', message, options);
  }
}

/** ComponentFetchError means the component could not be fetched from its source. */
export class ComponentFetchError extends SkiffError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SKIFF_FETCH_FAILED', message, options);
  }
}

/** DigestMismatchError means fetched bytes do not match the declared digest. */
export class DigestMismatchError extends SkiffError {
  constructor(message: string) {
    super('SKIFF_DIGEST_MISMATCH', message);
  }
}

/** NotGrantedError means a component imports interfaces its workload was not granted. */
export class NotGrantedError extends SkiffError {
  readonly missing: readonly string[];
  constructor(component: string, missing: string[]) {
    super(
      'SKIFF_NOT_GRANTED',
      `component "${component}" imports interfaces the workload was not granted: ${missing.join(', ')}`,
    );
    this.missing = missing;
  }
}

/** UnsupportedSourceError means the image reference scheme has no loader (yet). */
export class UnsupportedSourceError extends SkiffError {
  constructor(message: string) {
    super('SKIFF_UNSUPPORTED_SOURCE', message);
  }
}

/** InstanceTrapError means a guest trapped; that instance is discarded. */
export class InstanceTrapError extends SkiffError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SKIFF_TRAP', message, options);
  }
}

/** InstanceTimeoutError means a guest ran past its timeout and was stopped. */
export class InstanceTimeoutError extends SkiffError {
  constructor(message: string) {
    super('SKIFF_TIMEOUT', message);
  }
}

/** MemoryLimitError means a guest grew its memory past its limit and was stopped. */
export class MemoryLimitError extends SkiffError {
  constructor(message: string) {
    super('SKIFF_MEMORY_LIMIT', message);
  }
}

/** WorkloadNotFoundError means no workload has that id on this host. */
export class WorkloadNotFoundError extends SkiffError {
  constructor(id: string) {
    super('SKIFF_WORKLOAD_NOT_FOUND', `no workload ${id} on this host`);
  }
}

/** RouteTakenError means another workload on this host already serves the virtual host a workload claims. */
export class RouteTakenError extends SkiffError {
  constructor(host: string, owner: string) {
    super('SKIFF_ROUTE_TAKEN', `virtual host ${host} is already served by workload ${owner} on this host`);
  }
}

/** NoRunExportError means a workload's service does not export `wasi:cli/run`: there is nothing to run. */
export class NoRunExportError extends SkiffError {
  constructor(component: string) {
    super('SKIFF_NO_RUN_EXPORT', `service "${component}" does not export wasi:cli/run`);
  }
}

/** NoExportError means a component exports nothing: there is nothing the host could serve or call. */
export class NoExportError extends SkiffError {
  constructor(component: string) {
    super(
      'SKIFF_NO_EXPORT',
      `component "${component}" exports nothing servable (no wasi:http/incoming-handler, no handler, no interface at all)`,
    );
  }
}
