/**
 * The error catalog shared by hosts and the operator: every stable `SKIFF_*` code that can
 * reach a Workload's status, the CamelCase condition reason it becomes, and what the
 * operator does next. Hosts put `code` on the wire; the operator looks it up here.
 */

/**
 * NextStep says what should happen after a failure:
 * - `retry`: try the same host again with backoff (100 ms doubling to 30 s);
 * - `terminal`: the spec itself is wrong; Ready=False and no retry until the spec changes;
 * - `reschedule`: this host cannot take it; try another host (the one that failed is avoided).
 */
export type NextStep = 'retry' | 'terminal' | 'reschedule';

/** CatalogEntry is what one error code means for status and for the reconciler. */
export interface CatalogEntry {
  readonly reason: string;
  readonly next: NextStep;
  readonly summary: string;
}

/** ERROR_CATALOG maps each stable error code to its condition reason and next step. */
export const ERROR_CATALOG: Readonly<Record<string, CatalogEntry>> = Object.freeze({
  SKIFF_NOT_GRANTED: {
    reason: 'InterfaceNotGranted',
    next: 'terminal',
    summary: 'a component imports an interface the workload does not grant',
  },
  SKIFF_INVALID_COMPONENT: {
    reason: 'InvalidComponent',
    next: 'terminal',
    summary: 'the bytes are not a loadable WebAssembly component',
  },
  SKIFF_DIGEST_MISMATCH: {
    reason: 'DigestMismatch',
    next: 'terminal',
    summary: 'the fetched bytes do not match the declared digest',
  },
  SKIFF_UNSUPPORTED_SOURCE: {
    reason: 'FetchFailed',
    next: 'terminal',
    summary: 'the image reference has a scheme hosts do not load',
  },
  SKIFF_NO_EXPORT: { reason: 'NothingToServe', next: 'terminal', summary: 'the component exports nothing servable' },
  SKIFF_NO_HTTP_EXPORT: {
    reason: 'NothingToServe',
    next: 'terminal',
    summary: 'wasi:http is granted but the component exports no incoming-handler',
  },
  SKIFF_VOLUME: { reason: 'VolumeFailed', next: 'terminal', summary: 'a volume could not be provided' },
  SKIFF_OCI_BAD_REFERENCE: { reason: 'FetchFailed', next: 'terminal', summary: 'the OCI reference is malformed' },
  SKIFF_OCI_MEDIA_TYPE: {
    reason: 'FetchFailed',
    next: 'terminal',
    summary: 'the OCI artifact holds no WebAssembly component',
  },
  SKIFF_BAD_MESSAGE: {
    reason: 'Rejected',
    next: 'terminal',
    summary: 'the host rejected the request as malformed (version skew?)',
  },
  SKIFF_STALE_GENERATION: {
    reason: 'StaleGeneration',
    next: 'terminal',
    summary: 'a newer generation already runs on the host',
  },
  SKIFF_UID_MISMATCH: {
    reason: 'UidMismatch',
    next: 'terminal',
    summary: 'a stop named another incarnation (uid) of the workload than the one running; nothing was stopped',
  },
  SKIFF_CONFIG_INVALID: {
    reason: 'ConfigInvalid',
    next: 'terminal',
    summary: 'a referenced ConfigMap or Secret cannot be used as asked (a key missing, not UTF-8, wrong Secret type)',
  },
  SKIFF_CONFIG_NOT_FOUND: {
    reason: 'ConfigNotFound',
    next: 'retry',
    summary: 'a referenced ConfigMap or Secret does not exist (yet)',
  },
  SKIFF_PULL_SECRET_INVALID: {
    reason: 'PullSecretInvalid',
    next: 'retry',
    summary: 'an imagePullSecret is not a kubernetes.io/dockerconfigjson Secret the operator can read',
  },
  SKIFF_SOURCE_UNAVAILABLE: {
    reason: 'ConfigUnavailable',
    next: 'retry',
    summary: 'the host could not fetch configuration contents from the NATS Object Store',
  },
  SKIFF_BACKEND_CONFIG: {
    reason: 'BackendConfigInvalid',
    next: 'terminal',
    summary: 'a host interface config names a backend setting only the host may choose (url, root, ...)',
  },
  SKIFF_BACKEND_UNAVAILABLE: {
    reason: 'BackendUnavailable',
    next: 'reschedule',
    summary: 'a host interface selects a backend (config.backend) this host does not offer',
  },
  SKIFF_FETCH_FAILED: { reason: 'FetchFailed', next: 'retry', summary: 'the component could not be downloaded' },
  SKIFF_OCI_NOT_FOUND: { reason: 'FetchFailed', next: 'retry', summary: 'the registry does not have the image (yet)' },
  SKIFF_OCI_NOT_PRESENT: {
    reason: 'FetchFailed',
    next: 'retry',
    summary: 'imagePullPolicy Never and the image is not cached',
  },
  SKIFF_OCI_UNREACHABLE: { reason: 'FetchFailed', next: 'retry', summary: 'the registry could not be reached' },
  SKIFF_OCI_UNAUTHORIZED: { reason: 'FetchFailed', next: 'retry', summary: 'the registry refused the credentials' },
  SKIFF_OCI_REGISTRY: { reason: 'FetchFailed', next: 'retry', summary: 'the registry answered with an error' },
  SKIFF_TRAP: { reason: 'StartFailed', next: 'retry', summary: 'the component trapped while starting' },
  SKIFF_TIMEOUT: { reason: 'StartTimeout', next: 'retry', summary: 'the start did not finish in time' },
  SKIFF_MEMORY_LIMIT: {
    reason: 'MemoryLimitExceeded',
    next: 'retry',
    summary: 'the component grew past its memory limit',
  },
  SKIFF_WORKER_EXITED: { reason: 'StartFailed', next: 'retry', summary: 'the worker running the component exited' },
  SKIFF_WORKER_CRASHED: { reason: 'StartFailed', next: 'retry', summary: 'the worker running the component crashed' },
  SKIFF_INTERNAL: { reason: 'StartFailed', next: 'retry', summary: 'the host failed unexpectedly' },
  SKIFF_HOST_NOT_STARTED: { reason: 'HostUnavailable', next: 'reschedule', summary: 'the host is not started' },
  SKIFF_HOST_FULL: { reason: 'InsufficientCapacity', next: 'reschedule', summary: 'the host is full' },
  SKIFF_HOST_CORDONED: {
    reason: 'HostCordoned',
    next: 'reschedule',
    summary: 'the host is cordoned and takes no new workloads',
  },
  SKIFF_HOST_UNREACHABLE: { reason: 'HostUnavailable', next: 'reschedule', summary: 'the host is not connected' },
  SKIFF_ROUTE_TAKEN: {
    reason: 'RouteConflict',
    next: 'reschedule',
    summary: 'another workload serves the same virtual host on that host',
  },
  SKIFF_SERVICE_CAPACITY: {
    reason: 'InsufficientCapacity',
    next: 'reschedule',
    summary: 'the host runs as many services as its workload threads allow',
  },
  SKIFF_SERVICE_START: { reason: 'StartFailed', next: 'retry', summary: 'the service did not instantiate' },
  SKIFF_NO_RUN_EXPORT: {
    reason: 'NothingToServe',
    next: 'terminal',
    summary: 'the service component does not export wasi:cli/run',
  },
  SKIFF_NAMESPACE_NOT_SERVED: {
    reason: 'HostUnavailable',
    next: 'reschedule',
    summary: 'the host does not serve the workload namespace',
  },
  SKIFF_NATS_CREDENTIALS_MISSING: {
    reason: 'NatsCredentialsMissing',
    next: 'retry',
    summary: "the host holds no NATS credentials of the workload's namespace account (ADR 0022)",
  },
  SKIFF_NATS_ACCOUNT_PUSH: {
    reason: 'NatsAccountUnavailable',
    next: 'retry',
    summary: "the operator could not make the NATS server hold the namespace's account (ADR 0022)",
  },
  SKIFF_NATS_CREDENTIALS_INVALID: {
    reason: 'NatsCredentialsInvalid',
    next: 'retry',
    summary: "the start brought a NATS user JWT that is not for this host's key (a stale heartbeat?)",
  },
});

const UNKNOWN: CatalogEntry = { reason: 'StartFailed', next: 'retry', summary: 'unknown failure' };

/** catalogEntry returns what an error code means; unknown codes are retried with backoff. */
export function catalogEntry(code: string | undefined): CatalogEntry {
  return (code !== undefined && ERROR_CATALOG[code]) || UNKNOWN;
}

/** reasonOf maps an error code to a CamelCase condition reason. */
export function reasonOf(code: string | undefined): string {
  return catalogEntry(code).reason;
}

/** nextStepOf says whether a failure is retried, terminal, or sent to another host. */
export function nextStepOf(code: string | undefined): NextStep {
  return catalogEntry(code).next;
}
