/**
 * The wire codec of the control protocol: JSON out, JSON + zod in. Everything received is
 * parsed at the edge; a message that does not parse becomes a BadMessageError.
 */
import type { z } from 'zod';
import { formatPath } from '../api/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** BadMessageError means a message on a protocol subject is not JSON or does not match its schema. */
export class BadMessageError extends Error {
  override readonly name = 'BadMessageError';
  readonly code = 'SKIFF_BAD_MESSAGE';
}

/** encode serialises a message as JSON bytes. */
export function encode(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** decode parses JSON bytes with `schema`; it throws a BadMessageError naming every bad field. */
export function decode<S extends z.ZodType>(schema: S, data: Uint8Array, what: string): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch (err) {
    throw new BadMessageError(`${what} is not JSON: ${(err as Error).message}`);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 10).map((i) => `${formatPath(i.path)}: ${i.message}`);
  throw new BadMessageError(`invalid ${what}: ${issues.join('; ')}`);
}
