/**
 * The keys of a Skiff NATS deployment in operator mode (ADR 0022). One secret, the operator
 * seed, determines every account key: each account's seed is derived from it with HKDF, so
 * an operator that restarts (or a second replica) signs for the same accounts without
 * keeping any state, and the namespace's JetStream data stays where it was.
 */
import { hkdfSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fromSeed, type KeyPair, Prefix } from '@nats-io/nkeys';
import { Codec } from '@nats-io/nkeys/lib/codec.js';

/** OperatorSeedError means the operator seed file is missing or does not hold an operator seed (SO…). */
export class OperatorSeedError extends Error {
  override readonly name = 'OperatorSeedError';
  readonly code = 'SKIFF_NATS_OPERATOR_SEED';
}

/** parseOperatorSeed checks that `text` is an operator nkey seed and returns its key pair. */
export function parseOperatorSeed(text: string): KeyPair {
  const seed = text.trim();
  if (!seed.startsWith('SO')) throw new OperatorSeedError('the NATS operator seed must be an operator nkey seed (SO…)');
  try {
    return fromSeed(new TextEncoder().encode(seed));
  } catch (err) {
    throw new OperatorSeedError(`the NATS operator seed is not a valid nkey seed: ${(err as Error).message}`);
  }
}

/** readOperatorSeed reads an operator seed file (as `nsc` or `skiff nats keys` writes it). */
export async function readOperatorSeed(file: string): Promise<KeyPair> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new OperatorSeedError(`cannot read the NATS operator seed ${file}: ${(err as Error).message}`);
  }
  return parseOperatorSeed(text);
}

/** KeyRole is what a derived key is for: an account or a user. */
export type KeyRole = 'account' | 'user';

/**
 * deriveKey derives the key pair named `label` of `role` from the operator's seed: the same
 * operator seed and label always give the same key, and no key reveals another.
 */
export function deriveKey(operator: KeyPair, role: KeyRole, label: string): KeyPair {
  const ikm = operator.getSeed();
  const raw = new Uint8Array(hkdfSync('sha256', ikm, 'skiff nats identity', `${role}:${label}`, 32));
  const seed = Codec.encodeSeed(role === 'account' ? Prefix.Account : Prefix.User, raw);
  return fromSeed(seed);
}
