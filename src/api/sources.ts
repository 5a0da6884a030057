/**
 * What a start request carries besides the Workload (ADR 0007, Revision 2): the contents of
 * the ConfigMaps and Secrets it references, resolved by the operator, and the registry
 * credentials of its imagePullSecrets. Values here are secret: nothing may log them.
 */
import { z } from 'zod';
import { configKeySchema, objectNameSchema } from './references.js';

/** INLINE_SOURCES_MAX_BYTES bounds the contents a start request carries inline; the rest goes by digest. */
export const INLINE_SOURCES_MAX_BYTES = 512 * 1024;

/** STORED_SOURCE_MAX_BYTES bounds one source fetched from the NATS Object Store. */
export const STORED_SOURCE_MAX_BYTES = 8 * 1024 * 1024;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const SHA256_HEX = /^[a-f0-9]{64}$/;

/** sourceDataSchema maps each key of an object to its value, base64-encoded (values may be binary). */
export const sourceDataSchema = z.record(configKeySchema, z.string().regex(BASE64, 'must be base64'));

/**
 * storedSourceSchema points at a source's data in the NATS Object Store: the object named
 * `digest` (sha256 of its bytes, hex) in `bucket` holds the data JSON sealed with AES-256-GCM
 * under `key` (12-byte IV first, 16-byte tag last). The key travels only in the request.
 */
export const storedSourceSchema = z
  .object({
    bucket: z.string().regex(/^[A-Za-z0-9_-]{1,240}$/),
    digest: z.string().regex(SHA256_HEX, 'must be 64 lowercase hex digits'),
    size: z.number().int().min(28).max(STORED_SOURCE_MAX_BYTES),
    key: z.string().length(44).regex(BASE64, 'must be base64'),
  })
  .strict();

/** sourceSchema is one referenced ConfigMap or Secret: its data inline, stored, or absent (optional and missing). */
export const sourceSchema = z
  .object({
    kind: z.enum(['ConfigMap', 'Secret']),
    name: objectNameSchema,
    data: sourceDataSchema.optional(),
    stored: storedSourceSchema.optional(),
    absent: z.literal(true).optional(),
  })
  .strict()
  .refine((s) => [s.data, s.stored, s.absent].filter((x) => x !== undefined).length === 1, {
    message: 'exactly one of data, stored, absent',
  });

/** pullCredentialSchema is what one component may pull its image with: one registry's username and password. */
export const pullCredentialSchema = z
  .object({
    component: z.string().min(1).max(63),
    registry: z.string().min(1).max(255),
    username: z.string().max(4096),
    password: z.string().max(16_384),
  })
  .strict();

/** Source is one referenced ConfigMap or Secret on the wire. */
export type Source = z.infer<typeof sourceSchema>;
/** StoredSource points at a source's sealed data in the NATS Object Store. */
export type StoredSource = z.infer<typeof storedSourceSchema>;
/** PullCredential is the credential one component's image is pulled with. */
export type PullCredential = z.infer<typeof pullCredentialSchema>;
