/**
 * Shared building blocks of the Skiff API schemas: names, quantities, conditions.
 * Imports nothing from the rest of `src`.
 */
import { z } from 'zod';

/** API_GROUP is the Kubernetes API group of every Skiff resource. */
export const API_GROUP = 'runtime.skiff.dev';
/** API_VERSION is the served and stored version of every Skiff resource. */
export const API_VERSION = 'v1alpha1';
/** API_GROUP_VERSION is the `apiVersion` string manifests carry. */
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** dnsLabel is an RFC 1123 label: lowercase alphanumerics and '-', at most 63 characters. */
export const dnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(DNS_LABEL, 'must be a DNS label: lowercase letters, digits and "-", starting and ending alphanumeric');

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** dnsSubdomain is an RFC 1123 subdomain, the name of most Kubernetes objects: at most 253 characters. */
export const dnsSubdomain = z
  .string()
  .min(1)
  .max(253)
  .regex(DNS_SUBDOMAIN, 'must be a DNS subdomain: lowercase letters, digits, "-" and "."');

/** QUANTITY_PATTERN matches a Kubernetes resource quantity such as `64Mi`, `1G` or `500m`. */
export const QUANTITY_PATTERN = '^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$';

/** quantity is a Kubernetes resource quantity string (`64Mi`, `1Gi`, `500m`). */
export const quantity = z
  .string()
  .regex(new RegExp(QUANTITY_PATTERN), 'must be a resource quantity such as 64Mi or 1Gi');

/** stringMap is a map of string keys to string values. */
export const stringMap = z.record(z.string(), z.string());

/** conditionSchema is a metav1.Condition. */
export const conditionSchema = z
  .object({
    type: z.string().min(1).max(316).describe('Type of the condition in CamelCase, e.g. Ready.'),
    status: z.enum(['True', 'False', 'Unknown']).describe('Status of the condition: True, False or Unknown.'),
    observedGeneration: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The .metadata.generation the condition was set from.'),
    lastTransitionTime: z.string().describe('When the condition last changed status (RFC 3339).'),
    reason: z.string().min(1).max(1024).describe('Machine-readable CamelCase reason for the last transition.'),
    message: z.string().max(32768).describe('Human-readable message with details about the transition.'),
  })
  .strict()
  .describe('A metav1.Condition describing one aspect of the resource state.');

/** CONDITIONS_LIST is the schema metadata of a conditions list: a list map keyed by `type`, as in metav1. */
export const CONDITIONS_LIST = { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] } as const;

/** Condition is a metav1.Condition. */
export type Condition = z.infer<typeof conditionSchema>;

/** objectMetaSchema is the part of metav1.ObjectMeta Skiff reads from manifests. */
export const objectMetaSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(253)
      .regex(
        /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
        'must be a DNS subdomain: lowercase letters, digits, "-" and "."',
      ),
    namespace: dnsLabel.optional(),
    uid: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be letters, digits, ".", "_" and "-"')
      .optional(),
    generation: z.number().int().optional(),
    resourceVersion: z.string().optional(),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
  })
  .passthrough();

/** ObjectMeta is the part of metav1.ObjectMeta Skiff reads. */
export type ObjectMeta = z.infer<typeof objectMetaSchema>;

/** parseQuantity turns a Kubernetes quantity string into a number of base units (bytes for memory). */
export function parseQuantity(value: string): number {
  const match = new RegExp(QUANTITY_PATTERN).exec(value);
  if (!match) throw new RangeError(`invalid quantity ${JSON.stringify(value)}`);
  const suffix = match[2] ?? '';
  const number = Number.parseFloat(value.slice(0, value.length - suffix.length));
  const factors: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
  };
  return number * (factors[suffix] ?? 1);
}
