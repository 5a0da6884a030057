/**
 * zod schemas for what the API server sends: objects (metadata checked, the rest kept
 * loose for the caller's own schema), list pages and watch events.
 */
import { z } from 'zod';
import { KubeError } from './errors.js';
import type { KubeObject } from './resources.js';

const stringMap = z.record(z.string(), z.string());

/** ownerReferenceSchema is metav1.OwnerReference. */
export const ownerReferenceSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

/** objectMetaSchema is the part of metav1.ObjectMeta the operator relies on. */
export const objectMetaSchema = z.looseObject({
  name: z.string().min(1).max(253),
  namespace: z.string().max(63).optional(),
  uid: z.string().max(64).optional(),
  generation: z.number().int().optional(),
  resourceVersion: z.string().max(64).optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  finalizers: z.array(z.string()).optional(),
  deletionTimestamp: z.string().optional(),
  ownerReferences: z.array(ownerReferenceSchema).optional(),
  creationTimestamp: z.string().optional(),
});

/** kubeObjectSchema is any object: metadata checked, everything else passed through. */
export const kubeObjectSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: objectMetaSchema,
});

/** listSchema is one page of a list response. */
export const listSchema = z.looseObject({
  metadata: z.looseObject({
    resourceVersion: z.string().max(64).default(''),
    continue: z.string().max(8192).optional(),
  }),
  items: z.array(kubeObjectSchema).nullable().default([]),
});

/** bookmarkSchema is the object of a BOOKMARK event: only its resourceVersion matters. */
export const bookmarkSchema = z.looseObject({
  metadata: z.looseObject({ resourceVersion: z.string().max(64) }),
});

/** watchEventSchema is one line of a watch stream. */
export const watchEventSchema = z.object({
  type: z.enum(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']),
  object: z.looseObject({}),
});

/** decode parses JSON text with `schema`, or throws a BAD_RESPONSE KubeError naming `what`. */
export function decode<S extends z.ZodType>(schema: S, text: string, what: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KubeError('SKIFF_KUBE_BAD_RESPONSE', 200, 'NotJSON', `${what}: response is not JSON`, { cause: err });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid';
    throw new KubeError('SKIFF_KUBE_BAD_RESPONSE', 200, 'Malformed', `${what}: unexpected response (${where})`);
  }
  return parsed.data;
}

/** asObject parses an already-decoded value as a KubeObject (BAD_RESPONSE when it is not one). */
export function asObject(value: unknown, what: string): KubeObject {
  const parsed = kubeObjectSchema.safeParse(value);
  if (!parsed.success) {
    throw new KubeError('SKIFF_KUBE_BAD_RESPONSE', 200, 'Malformed', `${what}: object without valid metadata`);
  }
  return parsed.data as KubeObject;
}
