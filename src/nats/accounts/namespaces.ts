/**
 * The host's side of namespace accounts (ADR 0022): a user key generated in this process and
 * never sent anywhere, the newest user JWT the operator signed for it in each namespace's
 * account, and connections per namespace that are opened on first use, shared, and closed
 * with their last user.
 */
import { decode } from '@nats-io/jwt';
import { createUser, fromPublic, fromSeed, type KeyPair } from '@nats-io/nkeys';
import { jwtAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../telemetry/logger.js';
import type { NatsSettings } from '../config.js';
import { connectNats } from '../connection.js';

/** NatsCredentialsMissingError refuses a start of a namespace the host holds no user JWT for. */
export class NatsCredentialsMissingError extends Error {
  override readonly name = 'NatsCredentialsMissingError';
  readonly code = 'SKIFF_NATS_CREDENTIALS_MISSING';
}

/** NatsCredentialsInvalidError refuses a user JWT that is not for this host's key, not a user, or expired. */
export class NatsCredentialsInvalidError extends Error {
  override readonly name = 'NatsCredentialsInvalidError';
  readonly code = 'SKIFF_NATS_CREDENTIALS_INVALID';
}

/** signedByAccount checks a JWT's signature with the account key that claims to have issued it. */
function signedByAccount(jwt: string, issuer: string): boolean {
  if (!/^A[A-Z2-7]{55}$/.test(issuer)) return false;
  const dot = jwt.lastIndexOf('.');
  try {
    const signature = new Uint8Array(Buffer.from(jwt.slice(dot + 1), 'base64url'));
    return fromPublic(issuer).verify(new TextEncoder().encode(jwt.slice(0, dot)), signature);
  } catch {
    return false;
  }
}

/** NamespaceCredentials hold the host's user key and the newest user JWT of each namespace. */
export class NamespaceCredentials {
  readonly #key: KeyPair;
  readonly #jwts = new Map<string, { jwt: string; expires?: number | undefined; issued: number }>();
  readonly #now: () => number;

  /** The key is generated here unless a seed is given (a workload thread gets the main thread's). */
  constructor(options: { seed?: string; now?: () => number } = {}) {
    this.#key = options.seed ? fromSeed(new TextEncoder().encode(options.seed)) : createUser();
    this.#now = options.now ?? Date.now;
  }

  /** userKey is the public key the operator signs JWTs for (announced in heartbeats). */
  get userKey(): string {
    return this.#key.getPublicKey();
  }

  /** seed is the private seed, for this process's own workload threads only. */
  get seed(): string {
    return new TextDecoder().decode(this.#key.getSeed());
  }

  /** accept checks and keeps a user JWT for `namespace` (the newest one wins). */
  accept(namespace: string, jwt: string): void {
    let claims: ReturnType<typeof decode<{ type?: string }>>;
    try {
      claims = decode<{ type?: string }>(jwt);
    } catch (err) {
      throw new NatsCredentialsInvalidError(`the NATS credentials of namespace ${namespace} are not a JWT`, {
        cause: err,
      });
    }
    if (claims.nats?.type !== 'user') {
      throw new NatsCredentialsInvalidError(`the NATS credentials of namespace ${namespace} are not a user JWT`);
    }
    if (claims.sub !== this.userKey) {
      throw new NatsCredentialsInvalidError(
        `the NATS credentials of namespace ${namespace} are for user ${claims.sub}, not this host's ${this.userKey}`,
      );
    }
    if (claims.exp !== undefined && claims.exp * 1000 <= this.#now()) {
      throw new NatsCredentialsInvalidError(`the NATS credentials of namespace ${namespace} have expired`);
    }
    if (!signedByAccount(jwt, claims.iss)) {
      throw new NatsCredentialsInvalidError(
        `the NATS credentials of namespace ${namespace} are not signed by an account`,
      );
    }
    const held = this.#jwts.get(namespace);
    // A JWT issued before the one held (a delayed or repeated message) does not replace it.
    if (held && held.issued > claims.iat) return;
    this.#jwts.set(namespace, { jwt, expires: claims.exp, issued: claims.iat });
  }

  /** jwt is the newest user JWT of `namespace` that has not expired, if any. */
  jwt(namespace: string): string | undefined {
    const held = this.#jwts.get(namespace);
    if (!held) return undefined;
    return held.expires !== undefined && held.expires * 1000 <= this.#now() ? undefined : held.jwt;
  }

  /** expires is when the held JWT of `namespace` expires (seconds since the epoch), if it does. */
  expires(namespace: string): number | undefined {
    return this.#jwts.get(namespace)?.expires;
  }

  /** require returns the JWT of `namespace` or throws NatsCredentialsMissingError. */
  require(namespace: string): string {
    const jwt = this.jwt(namespace);
    if (!jwt) {
      throw new NatsCredentialsMissingError(
        `this host holds no NATS credentials for namespace ${namespace}; the start must bring them (natsCredentials)`,
      );
    }
    return jwt;
  }
}

/** NamespaceLease is one user's hold on a namespace's connection; release it exactly once. */
export interface NamespaceLease {
  readonly nc: NatsConnection;
  release(): Promise<void>;
}

/** NamespaceConnectionsOptions say where NATS is and how connections are named and logged. */
export interface NamespaceConnectionsOptions {
  /** settings name the servers and TLS; their credentials are replaced by the namespace's. */
  readonly settings: NatsSettings;
  readonly credentials: NamespaceCredentials;
  /** name prefixes each connection's name on the server (`<name> <namespace>`). */
  readonly name?: string | undefined;
  readonly logger?: Logger | undefined;
}

interface Entry {
  readonly nc: Promise<NatsConnection>;
  refs: number;
  /** closed is set once nats.js closed the connection by itself. */
  closed?: boolean;
}

/** NamespaceConnections opens one connection per namespace account, shared by its users, closed with the last. */
export class NamespaceConnections {
  readonly #options: NamespaceConnectionsOptions;
  readonly #open = new Map<string, Entry>();

  constructor(options: NamespaceConnectionsOptions) {
    this.#options = options;
  }

  /** credentials are the host's key and JWTs. */
  get credentials(): NamespaceCredentials {
    return this.#options.credentials;
  }

  /** namespaces lists the namespaces with an open (or opening) connection. */
  get namespaces(): string[] {
    return [...this.#open.keys()].sort();
  }

  /**
   * acquire returns the connection of `namespace`, connecting on first use with the newest
   * JWT (and again on every reconnect). It throws NatsCredentialsMissingError without one.
   */
  async acquire(namespace: string): Promise<NamespaceLease> {
    const { credentials, settings, logger } = this.#options;
    credentials.require(namespace);
    let entry = this.#open.get(namespace);
    // A connection nats.js closed for good is not handed out again; its users keep theirs.
    if (entry?.closed) {
      this.#open.delete(namespace);
      entry = undefined;
    }
    if (!entry) {
      const seed = new TextEncoder().encode(credentials.seed);
      const authenticator = jwtAuthenticator(() => credentials.jwt(namespace) ?? '', seed);
      const name = `${this.#options.name ?? 'skiff'} ${namespace}`;
      const created: Entry = {
        nc: connectNats(settings, { name, logger, authenticator, keepTryingAuth: true }),
        refs: 0,
      };
      entry = created;
      this.#open.set(namespace, created);
      created.nc.then(
        (nc) =>
          void nc.closed().then(() => {
            created.closed = true;
          }),
        () => {
          if (this.#open.get(namespace) === created) this.#open.delete(namespace);
        },
      );
    }
    entry.refs++;
    let nc: NatsConnection;
    try {
      nc = await entry.nc;
    } catch (err) {
      entry.refs--;
      throw err;
    }
    let released = false;
    const held = entry;
    return {
      nc,
      release: async () => {
        if (released) return;
        released = true;
        held.refs--;
        if (held.refs > 0 || this.#open.get(namespace) !== held) return;
        this.#open.delete(namespace);
        await nc.close().catch(() => undefined);
      },
    };
  }

  /** withConnection runs `fn` on the namespace's connection, holding it meanwhile. */
  async withConnection<T>(namespace: string, fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
    const lease = await this.acquire(namespace);
    try {
      return await fn(lease.nc);
    } finally {
      await lease.release();
    }
  }

  /** close closes every connection (the host is stopping). */
  async close(): Promise<void> {
    const entries = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(entries.map((e) => e.nc.then((nc) => nc.close()).catch(() => undefined)));
  }
}
