/**
 * HostConfig's capability settings: which plugins its host pods provide, which backend
 * serves each, and the data directory the filesystem backends need. The backend a setting
 * names must be one the hosts can offer: `redis` needs the HostConfig's `spec.redis`,
 * `filesystem` its `spec.dataDir` (PLUGIN_RULES in CEL, pluginRuleIssues in zod).
 */
import { z } from 'zod';
import { quantity } from './common.js';

/** PLUGIN_NAMES lists the built-in capabilities a HostConfig can switch (http: the hosts' HTTP server). */
export const PLUGIN_NAMES = ['keyvalue', 'blobstore', 'config', 'logging', 'messaging', 'http'] as const;

/** PluginName is one of PLUGIN_NAMES. */
export type PluginName = (typeof PLUGIN_NAMES)[number];

/** PLUGIN_BACKENDS are the backend types hosts offer, per capability with a backend. */
export const PLUGIN_BACKENDS = {
  keyvalue: ['memory', 'nats', 'filesystem', 'redis'],
  blobstore: ['memory', 'nats', 'filesystem'],
  config: ['memory', 'nats'],
  logging: ['memory', 'nats'],
  messaging: ['memory', 'nats'],
} as const;

const enabled = z.boolean().default(true).describe('Whether hosts provide this capability.');

function setting<const T extends readonly [string, ...string[]]>(backends: T, backend: string) {
  return z
    .object({ enabled, backend: z.enum(backends).default('nats').describe(backend) })
    .strict()
    .describe('Whether a capability is enabled and which backend serves it.');
}

/** pluginSettingSchema switches config, logging or messaging and picks memory or NATS. */
export const pluginSettingSchema = setting(
  PLUGIN_BACKENDS.messaging,
  'Backend of the capability: nats, or memory (config: the manifest values only, without run-time overrides; logging: the host log only, not `skiff ctl logs`; messaging: messages reach only workloads on the same host).',
);

/** pluginsSchema is HostConfig's `spec.plugins`: per capability, whether hosts provide it and on which backend. */
export const pluginsSchema = z
  .object({
    keyvalue: setting(
      PLUGIN_BACKENDS.keyvalue,
      'Backend of keyvalue grants that select none: nats, memory (lost with the host pod, not shared between hosts), filesystem (needs spec.dataDir) or redis (needs spec.redis). Named instances may still select any backend the hosts offer.',
    ).optional(),
    blobstore: setting(
      PLUGIN_BACKENDS.blobstore,
      'Backend of blobstore grants that select none: nats, memory (lost with the host pod, not shared between hosts) or filesystem (needs spec.dataDir).',
    ).optional(),
    config: pluginSettingSchema.optional(),
    logging: pluginSettingSchema.optional(),
    messaging: pluginSettingSchema.optional(),
    http: z
      .object({ enabled })
      .strict()
      .optional()
      .describe('Whether hosts run an HTTP server for workloads that export wasi:http/incoming-handler.'),
  })
  .strict()
  .describe(
    'Capability plugins, per capability; unset means enabled on NATS. A disabled capability is not announced, so no Workload that needs it is placed on these hosts.',
  );

/** Plugins is a parsed `spec.plugins`. */
export type Plugins = z.infer<typeof pluginsSchema>;

/** dataDirSchema is HostConfig's `spec.dataDir`: where host pods keep filesystem backend data. */
export const dataDirSchema = z
  .object({
    sizeLimit: quantity
      .optional()
      .describe('Most the directory may hold (the emptyDir sizeLimit: past it the kubelet evicts the pod).'),
  })
  .strict()
  .describe(
    'A data directory in each host pod, which enables the filesystem keyvalue and blobstore backends. It is an emptyDir volume: it survives container restarts but is deleted with its pod, so replacing, draining or scaling down a host loses its data, and hosts do not share it. Keep data that must outlive a pod on nats or redis.',
  );

const backendOf = (p: string) => `has(self.plugins) && has(self.plugins.${p}) && has(self.plugins.${p}.backend)`;

/** PLUGIN_RULES are the CEL rules of a HostConfig spec that tie backends to their settings. */
export const PLUGIN_RULES = [
  {
    rule: `!(${backendOf('keyvalue')} && self.plugins.keyvalue.backend == 'redis') || has(self.redis)`,
    message: 'the redis backend needs spec.redis',
    fieldPath: '.plugins.keyvalue.backend',
  },
  ...(['keyvalue', 'blobstore'] as const).map((p) => ({
    rule: `!(${backendOf(p)} && self.plugins.${p}.backend == 'filesystem') || has(self.dataDir)`,
    message: 'the filesystem backend needs spec.dataDir',
    fieldPath: `.plugins.${p}.backend`,
  })),
];

/** PluginRuleIssue is one broken PLUGIN_RULES rule, with the path of the field it names. */
export interface PluginRuleIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/** pluginRuleIssues checks PLUGIN_RULES on a parsed spec (the zod side of the same rules). */
export function pluginRuleIssues(spec: {
  plugins?: Plugins | undefined;
  redis?: unknown;
  dataDir?: unknown;
}): PluginRuleIssue[] {
  const out: PluginRuleIssue[] = [];
  if (spec.plugins?.keyvalue?.backend === 'redis' && spec.redis === undefined)
    out.push({ path: ['plugins', 'keyvalue', 'backend'], message: 'the redis backend needs spec.redis' });
  for (const p of ['keyvalue', 'blobstore'] as const) {
    if (spec.plugins?.[p]?.backend === 'filesystem' && spec.dataDir === undefined)
      out.push({ path: ['plugins', p, 'backend'], message: 'the filesystem backend needs spec.dataDir' });
  }
  return out;
}
