/**
 * One NATS identity per Kubernetes namespace (ADR 0022): in NATS operator mode every
 * namespace is an account of its own, signed by the Skiff operator key, with JetStream
 * enabled under a quota; hosts and the operator talk over a control account; the system
 * account only carries the operator's account pushes. `keys.ts` derives every account key
 * from the operator seed, `claims.ts` says what each identity may do, `mint.ts` signs,
 * `push.ts` hands account JWTs to the server's resolver, `server-config.ts` renders the
 * server's side, and `namespaces.ts` is the host's: its own user key, the JWTs it was given,
 * a connection per namespace.
 */
export {
  accountLimits,
  CONTROL_ACCOUNT,
  CONTROL_QUOTA,
  DEFAULT_NAMESPACE_QUOTA,
  hostControlPermissions,
  type JetStreamQuota,
  NAMESPACE_ACCOUNT_PREFIX,
  NAMESPACE_USER_PERMISSIONS,
  namespaceAccountClaims,
  namespaceAccountName,
  OPERATOR_CONTROL_PERMISSIONS,
  SYSTEM_ACCOUNT,
} from './claims.js';
export { deriveKey, type KeyRole, OperatorSeedError, parseOperatorSeed, readOperatorSeed } from './keys.js';
export {
  type ClaimsSummary,
  type Credentials,
  claimsOf,
  credentials,
  NatsIdentity,
  type NatsIdentityOptions,
  type UserJwtOptions,
} from './mint.js';
export {
  NamespaceConnections,
  type NamespaceConnectionsOptions,
  NamespaceCredentials,
  type NamespaceLease,
  NatsCredentialsInvalidError,
  NatsCredentialsMissingError,
} from './namespaces.js';
export {
  AccountPushError,
  CLAIMS_LIST,
  CLAIMS_UPDATE,
  claimsLookupSubject,
  ensureAccount,
  LOOKUP_TIMEOUT_MS,
  listAccounts,
  lookupAccount,
  type PushOptions,
  pushAccount,
} from './push.js';
export { natsServerConfig, type ServerConfigOptions } from './server-config.js';
