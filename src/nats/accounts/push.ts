/**
 * Pushing account JWTs to nats-server's `full` resolver over the system account
 * (`$SYS.REQ.CLAIMS.UPDATE`), idempotently: an account the server already holds with the
 * same claims is not pushed again. Replies are parsed with zod; a refused claim is an
 * AccountPushError naming the account and the server's reason.
 */
import { decode as decodeJwt, equivalent } from '@nats-io/jwt';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';

/** CLAIMS_UPDATE is the system subject that stores an account JWT in the resolver. */
export const CLAIMS_UPDATE = '$SYS.REQ.CLAIMS.UPDATE';

/** claimsLookupSubject is the system subject that returns the JWT the resolver holds for an account. */
export function claimsLookupSubject(account: string): string {
  if (!/^A[A-Z2-7]{55}$/.test(account)) throw new RangeError(`invalid account key ${JSON.stringify(account)}`);
  return `$SYS.REQ.ACCOUNT.${account}.CLAIMS.LOOKUP`;
}

/** AccountPushError means the server did not take an account JWT; `code` is stable. */
export class AccountPushError extends Error {
  override readonly name = 'AccountPushError';
  readonly code = 'SKIFF_NATS_ACCOUNT_PUSH';
}

const MAX_REPLY = 64 * 1024;

const updateReply = z.union([
  z.object({ data: z.object({ account: z.string(), code: z.number(), message: z.string().optional() }) }),
  z.object({
    error: z.object({ account: z.string().optional(), code: z.number(), description: z.string().optional() }),
  }),
]);

/** PushOptions bound each system request. */
export interface PushOptions {
  readonly timeoutMs?: number;
}

/** LOOKUP_TIMEOUT_MS bounds a lookup: a full resolver does not answer for an account it does not hold. */
export const LOOKUP_TIMEOUT_MS = 1_000;

/**
 * lookupAccount returns the account JWT the server holds, or undefined when it holds none
 * (the server stays silent then, so that takes `timeoutMs`, default LOOKUP_TIMEOUT_MS).
 */
export async function lookupAccount(
  sys: NatsConnection,
  account: string,
  options: PushOptions = {},
): Promise<string | undefined> {
  const subject = claimsLookupSubject(account);
  const reply = await sys
    .request(subject, undefined, { timeout: options.timeoutMs ?? LOOKUP_TIMEOUT_MS })
    .catch((err) => {
      if ((err as Error).name === 'TimeoutError') return undefined;
      throw err;
    });
  if (!reply) return undefined;
  if (reply.data.length === 0 || reply.data.length > MAX_REPLY) return undefined;
  const text = reply.string().trim();
  try {
    return decodeJwt(text).sub === account ? text : undefined;
  } catch {
    return undefined;
  }
}

/** pushAccount sends an account JWT to the resolver and checks the server took it. */
export async function pushAccount(sys: NatsConnection, jwt: string, options: PushOptions = {}): Promise<void> {
  const account = decodeJwt(jwt).sub;
  const reply = await sys.request(CLAIMS_UPDATE, jwt, { timeout: options.timeoutMs ?? 5_000 }).catch((err: Error) => {
    throw new AccountPushError(`pushing account ${account}: ${err.message}`, { cause: err });
  });
  if (reply.data.length > MAX_REPLY) throw new AccountPushError(`pushing account ${account}: reply too large`);
  let parsed: z.infer<typeof updateReply>;
  try {
    parsed = updateReply.parse(JSON.parse(reply.string()));
  } catch (err) {
    throw new AccountPushError(`pushing account ${account}: unexpected reply ${reply.string().slice(0, 200)}`, {
      cause: err,
    });
  }
  if ('error' in parsed) {
    throw new AccountPushError(
      `the NATS server refused account ${account}: ${parsed.error.description ?? `code ${parsed.error.code}`}`,
    );
  }
  if (parsed.data.code >= 300) {
    throw new AccountPushError(
      `the NATS server refused account ${account}: ${parsed.data.message ?? parsed.data.code}`,
    );
  }
}

/** CLAIMS_LIST is the system subject that lists the accounts a full resolver holds. */
export const CLAIMS_LIST = '$SYS.REQ.CLAIMS.LIST';

const MAX_LIST_REPLY = 8 * 2 ** 20;
const listReply = z.object({ data: z.array(z.string().max(64)).max(100_000) });

/** listAccounts returns the account keys the server's resolver holds. */
export async function listAccounts(sys: NatsConnection, options: PushOptions = {}): Promise<Set<string>> {
  const reply = await sys.request(CLAIMS_LIST, undefined, { timeout: options.timeoutMs ?? 5_000 });
  if (reply.data.length > MAX_LIST_REPLY) throw new AccountPushError('the account list is too large');
  try {
    return new Set(listReply.parse(JSON.parse(reply.string())).data);
  } catch (err) {
    throw new AccountPushError(`unexpected account list ${reply.string().slice(0, 200)}`, { cause: err });
  }
}

/**
 * ensureAccount makes sure the server holds `jwt`'s claims: it pushes unless the server
 * already has an equivalent JWT (same claims, other issue time). It returns whether it pushed.
 * An account the server does not list is pushed at once (a lookup of it would go unanswered).
 */
export async function ensureAccount(sys: NatsConnection, jwt: string, options: PushOptions = {}): Promise<boolean> {
  const account = decodeJwt(jwt).sub;
  const listed = await listAccounts(sys, options).catch(() => undefined);
  const held = listed && !listed.has(account) ? undefined : await lookupAccount(sys, account).catch(() => undefined);
  if (held && (await equivalent(held, jwt))) return false;
  await pushAccount(sys, jwt, options);
  return true;
}
