/**
 * How a Workload names ConfigMaps and Secrets of its namespace: `configMap` / `secret`
 * volumes (as in a Pod) and config layers (`configFrom` / `secretFrom` beside a literal
 * `config`, named as in wasmCloud's Workload). The operator resolves them; hosts only ever
 * see the contents it sends (docs/adr/0016-workload-configuration.md).
 */
import { z } from 'zod';
import { dnsSubdomain } from './common.js';

/** CONFIG_KEY matches a ConfigMap or Secret key: letters, digits, '-', '_' and '.'. */
export const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * KEY_PATH matches where a key lands inside its volume: a relative path of segments that are
 * neither empty, `.`, nor start with `..` (no escape from the volume, no hidden `..data`).
 * RE2-compatible, for the CRD as well.
 */
const KEY_PATH = /^([^/.][^/]*|\.[^/.][^/]*)(\/([^/.][^/]*|\.[^/.][^/]*))*$/;

/** MAX_FILE_MODE is the largest permission mode a projected file may have (0777). */
export const MAX_FILE_MODE = 0o777;

/** objectNameSchema is the name of a ConfigMap or Secret: a DNS subdomain. */
export const objectNameSchema = dnsSubdomain;

/** configKeySchema is one key of a ConfigMap or Secret. */
export const configKeySchema = z.string().min(1).max(253).regex(CONFIG_KEY, 'must be letters, digits, "-", "_" or "."');

/** fileMode is a file permission mode from 0 to 0777 (decimal in JSON, as in a Pod). */
const fileMode = z.number().int().min(0).max(MAX_FILE_MODE);

/** keyToPathSchema projects one key of a ConfigMap or Secret to a file of the volume. */
export const keyToPathSchema = z
  .object({
    key: configKeySchema.describe('The key to project.'),
    path: z
      .string()
      .min(1)
      .max(4096)
      .regex(KEY_PATH, 'must be a relative path without empty, "." or ".." segments')
      .describe('Relative path of the file inside the volume; may contain "/".'),
    mode: fileMode
      .optional()
      .describe('Permission bits of this file (0 to 0777, decimal in JSON); defaultMode when absent.'),
  })
  .strict()
  .describe('A key of the object and the file it becomes.');

const projection = {
  items: z
    .array(keyToPathSchema)
    .max(256)
    // A list map keyed by path: the API server refuses two items writing the same file.
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['path'] })
    .optional()
    .describe('Only these keys, at these paths. Without items every key becomes a file named after it.'),
  optional: z
    .boolean()
    .optional()
    .describe('Start without the object (an empty volume) or without a listed key when it does not exist.'),
  defaultMode: fileMode
    .optional()
    .describe('Permission bits of the files (0 to 0777, decimal in JSON; default 0644). WASI guests do not see them.'),
};

/** configMapVolumeSchema fills a volume from a ConfigMap of the Workload's namespace. */
export const configMapVolumeSchema = z
  .object({ name: objectNameSchema.describe('Name of the ConfigMap.'), ...projection })
  .strict()
  .describe('Files from a ConfigMap, one per key, mounted read-only.');

/** secretVolumeSchema fills a volume from a Secret of the Workload's namespace. */
export const secretVolumeSchema = z
  .object({ secretName: objectNameSchema.describe('Name of the Secret.'), ...projection })
  .strict()
  .describe('Files from a Secret, one per key, mounted read-only.');

/** layerRefSchema names a ConfigMap or Secret whose keys and values become a config layer. */
export const layerRefSchema = z
  .object({
    name: objectNameSchema.describe('Name of the object in the Workload namespace.'),
    optional: z.boolean().optional().describe('Skip the layer when the object does not exist (default false).'),
  })
  .strict()
  .describe('A ConfigMap or Secret of the Workload namespace.');

/** configLayerShape is `configFrom` and `secretFrom`, set beside a literal `config` map. */
export const configLayerShape = {
  configFrom: z
    .array(layerRefSchema)
    .max(32)
    .optional()
    .describe('ConfigMaps whose keys and values are layered over config, in order (a later one wins).'),
  secretFrom: z
    .array(layerRefSchema)
    .max(32)
    .optional()
    .describe(
      'Secrets whose keys and values (UTF-8) are layered over config and configFrom, in order (a later one wins).',
    ),
};

/** KeyToPath projects one key to a file. */
export type KeyToPath = z.infer<typeof keyToPathSchema>;
/** ConfigMapVolume is a volume filled from a ConfigMap. */
export type ConfigMapVolume = z.infer<typeof configMapVolumeSchema>;
/** SecretVolume is a volume filled from a Secret. */
export type SecretVolume = z.infer<typeof secretVolumeSchema>;
/** LayerRef names a ConfigMap or Secret used as a config layer. */
export type LayerRef = z.infer<typeof layerRefSchema>;
