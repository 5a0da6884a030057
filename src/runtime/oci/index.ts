/**
 * OCI registries as a component source: reference parsing, the distribution-API client with
 * its auth, the wasm artifact layout, the digest-keyed pull cache, pull and push, and
 * `ociSource` for `HostBuilder.withSource`. See docs/adr/0005-oci.md.
 */
export { type Credentials, type DockerConfig, credentialsFor, parseDockerConfig, readDockerConfig } from './auth.js';
export { PullCache } from './cache.js';
export {
  OciMediaTypeError,
  OciNotFoundError,
  OciNotPresentError,
  OciReferenceError,
  OciRegistryError,
  OciUnauthorizedError,
  OciUnreachableError,
} from './errors.js';
export { MEDIA } from './layout.js';
export { defaultPullPolicy, type PullOptions, type PullPolicy, type PullResult, pull } from './pull.js';
export { type PushOptions, type PushResult, pushComponent } from './push.js';
export { formatReference, parseReference, type Reference } from './reference.js';
export { type OciComponentRef, type OciSourceOptions, ociSource } from './source.js';
