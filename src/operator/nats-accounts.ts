/**
 * OperatorAccounts is the operator's side of namespace accounts (ADR 0022): before the
 * first start in a namespace it makes sure the server holds that namespace's account (pushed
 * over the system account, idempotent), it signs each start's user JWT for the key the target
 * host announced, and it keeps its own connection per namespace account for what it stores
 * there (sealed sources). After its system connection was lost it checks every account again
 * (a NATS server that lost its resolver directory gets them back).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { createUser } from '@nats-io/nkeys';
import { type Credentials, credentials, ensureAccount, type NatsIdentity } from '../nats/accounts/index.js';
import type { NatsSettings } from '../nats/config.js';
import { connectionEvents, connectNats } from '../nats/connection.js';
import type { Logger } from '../telemetry/logger.js';
import { credsAuthenticator } from '@nats-io/transport-node';

/** MAX_SIGNED bounds the user JWTs kept for reuse (the cache starts over beyond it). */
const MAX_SIGNED = 10_000;

/** RefreshTarget is a live host as refresh needs it: its key and the namespaces of its workloads. */
export interface RefreshTarget {
  readonly hostId: string;
  readonly natsUser?: string | undefined;
  readonly namespaces: readonly string[];
}

/** OperatorAccountsOptions are what the operator's account handling needs. */
export interface OperatorAccountsOptions {
  readonly identity: NatsIdentity;
  /** settings name the servers (and TLS); credentials come from `identity`. */
  readonly settings: NatsSettings;
  readonly logger: Logger;
  /** userTtlSeconds makes user JWTs expire (default: none; ADR 0022 says why). */
  readonly userTtlSeconds?: number | undefined;
}

/** connectWith connects with the given credentials instead of the settings' own. */
export function connectWith(settings: NatsSettings, creds: Credentials, name: string, logger?: Logger) {
  return connectNats(settings, {
    name,
    logger,
    authenticator: credsAuthenticator(new TextEncoder().encode(creds.creds)),
  });
}

/** OperatorAccounts pushes namespace accounts and signs hosts' namespace credentials. */
export class OperatorAccounts {
  readonly #o: OperatorAccountsOptions;
  readonly #ensured = new Map<string, Promise<void>>();
  readonly #connections = new Map<string, Promise<NatsConnection>>();
  readonly #signed = new Map<string, { jwt: Promise<string>; until: number }>();
  #refreshing = false;
  #sys: Promise<NatsConnection> | undefined;
  readonly #stop = new AbortController();

  constructor(options: OperatorAccountsOptions) {
    this.#o = options;
  }

  #system(): Promise<NatsConnection> {
    if (!this.#sys) {
      const sys = this.#o.identity
        .systemUser()
        .then((creds) => connectWith(this.#o.settings, creds, 'skiff-operator system', this.#o.logger));
      this.#sys = sys;
      sys.then(
        (nc) => void this.#forgetOnReconnect(nc),
        () => {
          if (this.#sys === sys) this.#sys = undefined;
        },
      );
    }
    return this.#sys;
  }

  async #forgetOnReconnect(nc: NatsConnection): Promise<void> {
    for await (const event of connectionEvents(nc, this.#stop.signal)) {
      if (event === 'reconnect') this.#ensured.clear();
    }
  }

  /** ensureNamespace makes sure the server holds the namespace's account (once per process, again after a reconnect). */
  ensureNamespace(namespace: string): Promise<void> {
    let done = this.#ensured.get(namespace);
    if (!done) {
      const attempt = (async () => {
        const sys = await this.#system();
        const pushed = await ensureAccount(sys, await this.#o.identity.namespaceAccountJwt(namespace));
        if (pushed) this.#o.logger.info({ namespace }, 'NATS account of the namespace pushed');
      })();
      done = attempt;
      this.#ensured.set(namespace, attempt);
      attempt.catch(() => {
        if (this.#ensured.get(namespace) === attempt) this.#ensured.delete(namespace);
      });
    }
    return done;
  }

  /**
   * startCredentials are the `natsCredentials` of a start in `namespace` on a host announcing
   * `userKey`. A JWT is signed once per (namespace, key) and reused (until half its lifetime
   * is gone, when it expires): signing costs milliseconds, a start may be retried often.
   */
  async startCredentials(namespace: string, userKey: string): Promise<{ jwt: string }> {
    await this.ensureNamespace(namespace);
    const key = `${namespace}/${userKey}`;
    const now = Date.now();
    const kept = this.#signed.get(key);
    if (kept && kept.until > now) return { jwt: await kept.jwt };
    const ttl = this.#o.userTtlSeconds;
    const jwt = this.#o.identity.namespaceUserJwt(namespace, userKey, {
      name: `host ${userKey.slice(0, 8)}`,
      expiresInSeconds: ttl,
    });
    if (this.#signed.size >= MAX_SIGNED) this.#signed.clear();
    this.#signed.set(key, { jwt, until: ttl ? now + (ttl * 1000) / 2 : Number.POSITIVE_INFINITY });
    jwt.catch(() => this.#signed.delete(key));
    return { jwt: await jwt };
  }

  /**
   * refresh sends a newer user JWT to every host in account mode whose JWT of a namespace it
   * runs workloads of is past half its lifetime (only with `userTtlSeconds`; one pass at a
   * time). `send` delivers it (ControlClient.credentials); a failure waits for the next pass.
   */
  async refresh(
    hosts: readonly RefreshTarget[],
    send: (hostId: string, namespace: string, jwt: string) => Promise<void>,
  ): Promise<number> {
    if (!this.#o.userTtlSeconds || this.#refreshing) return 0;
    this.#refreshing = true;
    let sent = 0;
    try {
      for (const host of hosts) {
        if (!host.natsUser) continue;
        for (const namespace of new Set(host.namespaces)) {
          const kept = this.#signed.get(`${namespace}/${host.natsUser}`);
          if (kept && kept.until > Date.now()) continue;
          try {
            const { jwt } = await this.startCredentials(namespace, host.natsUser);
            await send(host.hostId, namespace, jwt);
            sent++;
          } catch (err) {
            this.#o.logger.warn(
              { host: host.hostId, namespace, err: (err as Error).message },
              'NATS credentials refresh failed',
            );
          }
        }
      }
    } finally {
      this.#refreshing = false;
    }
    return sent;
  }

  /** hostControlCreds are a new control user's credentials (`.creds` text) for host `hostId`: only its own subjects. */
  async hostControlCreds(hostId: string): Promise<string> {
    const kp = createUser();
    return credentials(await this.#o.identity.hostControlUserJwt(hostId, kp.getPublicKey()), kp).creds;
  }

  /** connection is the operator's own connection to a namespace's account (opened once, kept). */
  connection(namespace: string): Promise<NatsConnection> {
    let nc = this.#connections.get(namespace);
    if (!nc) {
      const opening = (async () => {
        await this.ensureNamespace(namespace);
        const creds = await this.#o.identity.operatorNamespaceUser(namespace);
        return connectWith(this.#o.settings, creds, `skiff-operator ${namespace}`, this.#o.logger);
      })();
      nc = opening;
      this.#connections.set(namespace, opening);
      opening.catch(() => {
        if (this.#connections.get(namespace) === opening) this.#connections.delete(namespace);
      });
    }
    return nc;
  }

  /** close closes the system and namespace connections. */
  async close(): Promise<void> {
    this.#stop.abort();
    const all = [...this.#connections.values(), ...(this.#sys ? [this.#sys] : [])];
    this.#connections.clear();
    this.#sys = undefined;
    await Promise.all(all.map((p) => p.then((nc) => nc.close()).catch(() => undefined)));
  }
}
