/**
 * NatsIdentity signs the JWTs of a Skiff deployment in NATS operator mode (ADR 0022): the
 * operator JWT, the system and control accounts, one account per namespace, and users in
 * them. Every account key is derived from the operator seed (`keys.ts`), so the same seed
 * always yields the same accounts.
 */
import {
  type Account,
  Algorithms,
  decode,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  type Permissions,
} from '@nats-io/jwt';
import type { KeyPair } from '@nats-io/nkeys';
import {
  accountLimits,
  CONTROL_ACCOUNT,
  CONTROL_QUOTA,
  DEFAULT_NAMESPACE_QUOTA,
  hostControlPermissions,
  type JetStreamQuota,
  NAMESPACE_USER_PERMISSIONS,
  namespaceAccountClaims,
  namespaceAccountName,
  OPERATOR_CONTROL_PERMISSIONS,
  SYSTEM_ACCOUNT,
} from './claims.js';
import { deriveKey } from './keys.js';

/** UserJwtOptions bound a user JWT in time. */
export interface UserJwtOptions {
  /** expiresInSeconds makes the JWT expire that long after it is issued (default: no expiry). */
  readonly expiresInSeconds?: number | undefined;
  /** name shows in the server's connection list (default: the user's public key). */
  readonly name?: string | undefined;
  /** now is the issue time in seconds since the epoch (default: the clock). */
  readonly now?: number | undefined;
}

/** Credentials are a user's JWT and seed, and the same as a `.creds` file's text. */
export interface Credentials {
  readonly jwt: string;
  readonly seed: string;
  readonly creds: string;
}

/** NatsIdentityOptions tune what NatsIdentity signs. */
export interface NatsIdentityOptions {
  /** operatorName is the operator JWT's name (default `skiff`). */
  readonly operatorName?: string;
  /** namespaceQuota is every namespace account's JetStream allowance (default DEFAULT_NAMESPACE_QUOTA). */
  readonly namespaceQuota?: JetStreamQuota;
}

const dec = new TextDecoder();

/** MAX_KEPT_KEYS bounds the derived account keys kept in memory (the cache starts over beyond it). */
const MAX_KEPT_KEYS = 10_000;

const NO_JETSTREAM: JetStreamQuota = { diskBytes: 0, memoryBytes: 0, streams: 0, consumers: 0 };

/** NatsIdentity holds the operator key and signs every account and user JWT of the deployment. */
export class NatsIdentity {
  readonly #operator: KeyPair;
  readonly #options: NatsIdentityOptions;
  readonly #accounts = new Map<string, KeyPair>();

  constructor(operator: KeyPair, options: NatsIdentityOptions = {}) {
    this.#operator = operator;
    this.#options = options;
  }

  /** operatorKey is the operator's public key (O…). */
  get operatorKey(): string {
    return this.#operator.getPublicKey();
  }

  /** accountKey is the key pair of the account named `name` (derived from the operator seed once, then kept). */
  accountKey(name: string): KeyPair {
    let kp = this.#accounts.get(name);
    if (!kp) {
      kp = deriveKey(this.#operator, 'account', name);
      if (this.#accounts.size >= MAX_KEPT_KEYS) this.#accounts.clear();
      this.#accounts.set(name, kp);
    }
    return kp;
  }

  /** systemAccountKey is the public key of the system account. */
  get systemAccountKey(): string {
    return this.accountKey(SYSTEM_ACCOUNT).getPublicKey();
  }

  /** controlAccountKey is the public key of the control account. */
  get controlAccountKey(): string {
    return this.accountKey(CONTROL_ACCOUNT).getPublicKey();
  }

  /** namespaceAccountKey is the public key of a namespace's account. */
  namespaceAccountKey(namespace: string): string {
    return this.accountKey(namespaceAccountName(namespace)).getPublicKey();
  }

  /** operatorJwt is the operator JWT the server trusts (`operator:` in its configuration), naming the system account. */
  operatorJwt(): Promise<string> {
    return encodeOperator(
      this.#options.operatorName ?? 'skiff',
      this.#operator,
      { system_account: this.systemAccountKey },
      { algorithm: Algorithms.v2 },
    );
  }

  /** systemAccountJwt is the system account's JWT (no JetStream). */
  systemAccountJwt(): Promise<string> {
    return this.#account(SYSTEM_ACCOUNT, {
      description: 'NATS system account; Skiff pushes account claims with it',
      limits: accountLimits(NO_JETSTREAM),
    });
  }

  /** controlAccountJwt is the control account's JWT. */
  controlAccountJwt(): Promise<string> {
    return this.#account(CONTROL_ACCOUNT, {
      description: 'Skiff control plane: host heartbeats and requests',
      limits: accountLimits(CONTROL_QUOTA),
    });
  }

  /** namespaceAccountJwt is the JWT of a namespace's account, JetStream enabled under the namespace quota. */
  namespaceAccountJwt(namespace: string): Promise<string> {
    const quota = this.#options.namespaceQuota ?? DEFAULT_NAMESPACE_QUOTA;
    return this.#account(namespaceAccountName(namespace), namespaceAccountClaims(namespace, quota));
  }

  /**
   * userJwt signs, in the account named `account`, a user JWT for the public key `user`
   * (the holder keeps its seed) with `permissions`. Bearer use is off: the JWT is worthless
   * without the user's private key.
   */
  async userJwt(
    account: string,
    user: string,
    permissions: Permissions,
    options: UserJwtOptions = {},
  ): Promise<string> {
    if (!user.startsWith('U')) throw new RangeError('a NATS user key starts with U');
    const now = options.now ?? Math.floor(Date.now() / 1000);
    const exp = options.expiresInSeconds ? now + options.expiresInSeconds : undefined;
    return encodeUser(
      options.name ?? user,
      user,
      this.accountKey(account),
      { ...permissions, bearer_token: false },
      { algorithm: Algorithms.v2, ...(exp ? { exp } : {}) },
    );
  }

  /** namespaceUserJwt signs a user of a namespace's account (see NAMESPACE_USER_PERMISSIONS). */
  namespaceUserJwt(namespace: string, user: string, options: UserJwtOptions = {}): Promise<string> {
    return this.userJwt(namespaceAccountName(namespace), user, NAMESPACE_USER_PERMISSIONS, options);
  }

  /** hostControlUserJwt signs a host's control user: only its own `skiff.host.<id>.>` subjects. */
  hostControlUserJwt(hostId: string, user: string, options: UserJwtOptions = {}): Promise<string> {
    return this.userJwt(CONTROL_ACCOUNT, user, hostControlPermissions(hostId), { name: `host ${hostId}`, ...options });
  }

  /** operatorControlUserJwt signs the operator's (or `skiff ctl`'s) control user. */
  operatorControlUserJwt(user: string, options: UserJwtOptions = {}): Promise<string> {
    return this.userJwt(CONTROL_ACCOUNT, user, OPERATOR_CONTROL_PERMISSIONS, { name: 'skiff-operator', ...options });
  }

  /**
   * systemUser is the operator's user in the system account, derived like the accounts: what
   * it connects with to push account claims. Nothing else uses the system account.
   */
  async systemUser(): Promise<Credentials> {
    const kp = deriveKey(this.#operator, 'user', 'system-pusher');
    const jwt = await this.userJwt(SYSTEM_ACCOUNT, kp.getPublicKey(), {}, { name: 'skiff-operator-system' });
    return credentials(jwt, kp);
  }

  /** operatorControlUser is the operator's control user (derived key). */
  async operatorControlUser(): Promise<Credentials> {
    const kp = deriveKey(this.#operator, 'user', 'operator-control');
    return credentials(await this.operatorControlUserJwt(kp.getPublicKey()), kp);
  }

  /** operatorNamespaceUser is the operator's own user in a namespace's account (sealed sources, config overrides). */
  async operatorNamespaceUser(namespace: string): Promise<Credentials> {
    const kp = deriveKey(this.#operator, 'user', `operator-ns:${namespace}`);
    return credentials(await this.namespaceUserJwt(namespace, kp.getPublicKey(), { name: 'skiff-operator' }), kp);
  }

  async #account(name: string, claims: Partial<Account>): Promise<string> {
    return encodeAccount(name, this.accountKey(name), claims, { algorithm: Algorithms.v2, signer: this.#operator });
  }
}

/** credentials packs a user JWT and key pair as Credentials (the `.creds` text included). */
export function credentials(jwt: string, kp: KeyPair): Credentials {
  return { jwt, seed: dec.decode(kp.getSeed()), creds: dec.decode(fmtCreds(jwt, kp)) };
}

/** ClaimsSummary is what Skiff reads back from a JWT it did not sign itself. */
export interface ClaimsSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly name: string;
  readonly expires?: number | undefined;
}

/** claimsOf decodes a JWT's claims without checking its signature (the server checks it). */
export function claimsOf(jwt: string): ClaimsSummary {
  const c = decode(jwt);
  return { subject: c.sub, issuer: c.iss, name: c.name, expires: c.exp };
}
