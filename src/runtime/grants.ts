/**
 * Deny-all: a component may import only the always-on WASI core and the interfaces its
 * workload was granted (and this host provides). Everything else refuses the start, with
 * a message naming each missing interface.
 */
import type { HostInterface } from '../api/index.js';
import type { ImportedItem } from './engine/names.js';
import type { HostPlugin } from './plugin.js';
import { grantedInterfaces, packageOf } from './plugin.js';

/** ALWAYS_ON_PACKAGES are WASI core packages every component may import. */
export const ALWAYS_ON_PACKAGES: readonly string[] = [
  'wasi:cli',
  'wasi:clocks',
  'wasi:random',
  'wasi:io',
  'wasi:filesystem',
  'wasi:sockets',
];

/**
 * ALWAYS_ON_INTERFACES may be imported without a grant: `wasi:http/types` and the
 * outgoing handler are linked for every component (toolchains such as componentize-js
 * import them unconditionally), but outgoing requests reach only allowed hosts.
 */
export const ALWAYS_ON_INTERFACES: readonly string[] = ['wasi:http/types', 'wasi:http/outgoing-handler'];

/** GrantPlan says which plugin serves which granted interfaces of one component. */
export interface GrantPlan {
  readonly bindings: { plugin: HostPlugin; interfaces: Set<string>; grants: HostInterface[] }[];
  /** missing names each import that is not granted or not provided, with the reason. */
  readonly missing: string[];
}

function parseVersion(v: string): { core: number[]; pre: string } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:-(.+))?$/.exec(v);
  if (!m) return undefined;
  return { core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ?? '' };
}

/**
 * versionsCompatible says whether a component built against `imported` can use a grant
 * of `granted`: same major (same minor for 0.x) and the same pre-release tag; patch
 * versions may differ (wasi:http 0.2.0 and 0.2.10 are interchangeable).
 */
export function versionsCompatible(granted: string | undefined, imported: string | undefined): boolean {
  if (!granted || !imported) return true;
  const a = parseVersion(granted);
  const b = parseVersion(imported);
  if (!a || !b) return granted === imported;
  if (a.core[0] !== b.core[0]) return false;
  if (a.core[0] === 0 && a.core[1] !== b.core[1]) return false;
  return a.pre === b.pre;
}

/**
 * effectiveInterfaces is what a grant allows: its interfaces, the package's `types`
 * interface, and whatever the providing plugins declare as implied.
 */
export function effectiveInterfaces(grant: HostInterface, plugins: readonly HostPlugin[]): string[] {
  const named = grantedInterfaces(grant);
  const out = new Set([...named, `${grant.namespace}:${grant.package}/types`]);
  for (const iface of named) {
    for (const p of plugins) for (const extra of p.implied?.[iface] ?? []) out.add(extra);
  }
  return [...out];
}

/** planGrants checks a component's imports against the grants and the host's plugins. */
export function planGrants(
  imports: readonly ImportedItem[],
  grants: readonly HostInterface[],
  plugins: readonly HostPlugin[],
): GrantPlan {
  const missing: string[] = [];
  const byPlugin = new Map<HostPlugin, { interfaces: Set<string>; grants: Set<HostInterface> }>();
  for (const item of imports) {
    const iface = item.unversioned;
    if (ALWAYS_ON_PACKAGES.includes(packageOf(iface)) || ALWAYS_ON_INTERFACES.includes(iface)) continue;
    // Several entries may grant one package (named instances, each with its own backend): all come along.
    const matching = grants.filter((g) => effectiveInterfaces(g, plugins).includes(iface));
    if (matching.length === 0) {
      missing.push(`${item.name} (not granted in spec.hostInterfaces)`);
      continue;
    }
    const compatible = matching.filter((g) => versionsCompatible(g.version, item.version));
    if (compatible.length === 0) {
      missing.push(`${item.name} (granted version ${matching[0]!.version} is not compatible)`);
      continue;
    }
    const plugin = plugins.find((p) => p.imports.includes(iface));
    if (!plugin) {
      missing.push(`${item.name} (granted, but this host has no plugin providing it)`);
      continue;
    }
    // jco links by unversioned name: a version the plugin does not implement would link and fail later.
    if (plugin.versions?.length && !plugin.versions.some((v) => versionsCompatible(v, item.version))) {
      missing.push(`${item.name} (this host implements ${plugin.id} ${plugin.versions.join(', ')})`);
      continue;
    }
    const entry = byPlugin.get(plugin) ?? { interfaces: new Set<string>(), grants: new Set<HostInterface>() };
    entry.interfaces.add(iface);
    for (const grant of compatible) entry.grants.add(grant);
    byPlugin.set(plugin, entry);
  }
  // Plugins that drive guest exports (e.g. a messaging handler) are bound when granted,
  // even if the component imports nothing from them.
  for (const plugin of plugins) {
    for (const exp of plugin.exports ?? []) {
      const granting = grants.filter((g) => grantedInterfaces(g).includes(exp));
      if (granting.length === 0) continue;
      const entry = byPlugin.get(plugin) ?? { interfaces: new Set<string>(), grants: new Set<HostInterface>() };
      entry.interfaces.add(exp);
      for (const grant of granting) entry.grants.add(grant);
      byPlugin.set(plugin, entry);
    }
  }
  return {
    missing,
    bindings: [...byPlugin].map(([plugin, e]) => ({ plugin, interfaces: e.interfaces, grants: [...e.grants] })),
  };
}
