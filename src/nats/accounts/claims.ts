/**
 * What each NATS identity of a Skiff deployment may do (ADR 0022), as plain claim data: the
 * accounts (one per Kubernetes namespace, the control account, the system account), their
 * JetStream limits, and the subject permissions of hosts' and the operator's control users.
 * Pure data; signing lives in `mint.ts`.
 */
import type { Account, OperatorLimits, Permissions } from '@nats-io/jwt';
import { HOST_ID_PATTERN } from '../../api/index.js';
import { HOSTS_PING, SUBJECT_PREFIX } from '../subjects.js';

/** NAMESPACE_ACCOUNT_PREFIX starts the name of every namespace account (`skiff-ns-shop`). */
export const NAMESPACE_ACCOUNT_PREFIX = 'skiff-ns-';
/** CONTROL_ACCOUNT names the account of the control plane: hosts' and the operator's control connections. */
export const CONTROL_ACCOUNT = 'skiff-control';
/** SYSTEM_ACCOUNT names the NATS system account; only the operator's claim pushes use it. */
export const SYSTEM_ACCOUNT = 'skiff-system';

const NAMESPACE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** namespaceAccountName is the account name of a Kubernetes namespace; it throws on an invalid namespace. */
export function namespaceAccountName(namespace: string): string {
  if (!NAMESPACE.test(namespace)) throw new RangeError(`invalid namespace ${JSON.stringify(namespace)}`);
  return `${NAMESPACE_ACCOUNT_PREFIX}${namespace}`;
}

/** JetStreamQuota bounds what one account may keep in JetStream (-1: unlimited). */
export interface JetStreamQuota {
  readonly diskBytes: number;
  readonly memoryBytes: number;
  readonly streams: number;
  readonly consumers: number;
}

/**
 * DEFAULT_NAMESPACE_QUOTA is a namespace's JetStream allowance unless the operator is told
 * otherwise: streams capped, bytes not. nats-server reserves an account's byte limits
 * against its own JetStream maximum when it enables the account, so fixed per-namespace bytes
 * (10 GiB each was tried) leave every namespace past the first few without JetStream
 * ("jetstream is not enabled"); the capability plugins bound each namespace's buckets and
 * bytes instead (100 buckets or containers, 1 GiB each).
 */
export const DEFAULT_NAMESPACE_QUOTA: JetStreamQuota = Object.freeze({
  diskBytes: -1,
  memoryBytes: -1,
  streams: 256,
  consumers: -1,
});

/** accountLimits are account limits with JetStream enabled under `quota` and nothing else capped. */
export function accountLimits(quota: JetStreamQuota): OperatorLimits {
  return {
    subs: -1,
    data: -1,
    payload: -1,
    imports: -1,
    exports: -1,
    wildcards: true,
    conn: -1,
    leaf: -1,
    disk_storage: quota.diskBytes,
    mem_storage: quota.memoryBytes,
    streams: quota.streams,
    consumer: quota.consumers,
  };
}

/** namespaceAccountClaims are the claims of a namespace account: JetStream on, no imports or exports. */
export function namespaceAccountClaims(
  namespace: string,
  quota: JetStreamQuota = DEFAULT_NAMESPACE_QUOTA,
): Partial<Account> {
  return {
    description: `Skiff namespace ${namespace}`,
    tags: [`skiff-namespace:${namespace}`],
    limits: accountLimits(quota),
  };
}

/** CONTROL_QUOTA is the control account's JetStream allowance (no data of namespaces lives there). */
export const CONTROL_QUOTA: JetStreamQuota = Object.freeze({
  diskBytes: 2 ** 30,
  memoryBytes: 64 * 2 ** 20,
  streams: 16,
  consumers: -1,
});

/**
 * RESPONSE_PERMISSION lets a user answer the requests it receives (one reply each, within a
 * minute) without a publish permission on anyone's inbox.
 */
const RESPONSE_PERMISSION = { max: 1, ttl: 60_000_000_000 };

/** checkHostId returns a host id that is one subject token, or throws. */
function checkHostId(hostId: string): string {
  if (!HOST_ID_PATTERN.test(hostId)) throw new RangeError(`invalid host id ${JSON.stringify(hostId)}`);
  return hostId;
}

/**
 * hostControlPermissions confine a host's control connection to its own subjects: it
 * publishes only `skiff.host.<id>.>` (heartbeats included) and answers the requests it
 * receives there and on `skiff.hosts.ping`.
 */
export function hostControlPermissions(hostId: string): Permissions {
  const own = `${SUBJECT_PREFIX}.host.${checkHostId(hostId)}.>`;
  return {
    pub: { allow: [own] },
    sub: { allow: [own, HOSTS_PING] },
    resp: RESPONSE_PERMISSION,
  };
}

/**
 * OPERATOR_CONTROL_PERMISSIONS are what the operator's (and `skiff ctl`'s) control
 * connection needs: requests to every host's workload and admin subjects and the ping,
 * heartbeats, and replies to its own inbox.
 */
export const OPERATOR_CONTROL_PERMISSIONS: Permissions = Object.freeze({
  pub: {
    allow: [`${SUBJECT_PREFIX}.host.*.workload.*`, `${SUBJECT_PREFIX}.host.*.admin.*`, HOSTS_PING],
  },
  sub: { allow: [`${SUBJECT_PREFIX}.host.*.heartbeat`, '_INBOX.>'] },
});

/**
 * NAMESPACE_USER_PERMISSIONS are a namespace user's: everything inside its own account (the
 * account is the boundary; nothing of another namespace exists there) except the `$SYS`
 * subjects, which no namespace user needs.
 */
export const NAMESPACE_USER_PERMISSIONS: Permissions = Object.freeze({
  pub: { allow: ['>'], deny: ['$SYS.>'] },
  sub: { allow: ['>'], deny: ['$SYS.>'] },
});
