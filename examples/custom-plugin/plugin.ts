/**
 * An example custom capability: `example:toggles/toggles@0.1.0`, feature flags the host
 * decides per workload. It shows everything a third-party plugin needs: the interfaces it
 * provides, a fresh import fragment per component from `bind`, WIT error values for
 * guest-visible failures, and per-workload scoping from the grant's config.
 *
 * Grant it in a Workload with
 * `{ namespace: example, package: toggles, interfaces: [toggles], config: { profile: beta } }`.
 */
import type { BindContext, HostPlugin, PluginBinding } from '../../src/index.js';

/** TOGGLES is the interface the plugin provides. */
export const TOGGLES = 'example:toggles/toggles';

/** FlagProfiles maps a profile name (chosen by the grant's `config.profile`) to its flags. */
export type FlagProfiles = Readonly<Record<string, Readonly<Record<string, boolean>>>>;

/** togglesPlugin returns the example plugin serving the given flag profiles. */
export function togglesPlugin(profiles: FlagProfiles): HostPlugin {
  return {
    id: 'example:toggles',
    imports: [TOGGLES],
    versions: ['0.1.0'],
    bind(ctx: BindContext): PluginBinding {
      const grant = ctx.grants.find((g) => g.namespace === 'example' && g.package === 'toggles');
      const profile = profiles[grant?.config?.profile ?? 'default'] ?? {};
      return {
        imports: {
          [TOGGLES]: {
            enabled(name: string): boolean {
              const value = profile[name];
              if (value === undefined) throw { tag: 'unknown-flag', val: name };
              return value;
            },
            names(): string[] {
              return Object.keys(profile).sort();
            },
          },
        },
      };
    },
  };
}
