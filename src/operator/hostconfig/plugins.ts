/**
 * The `skiff host` flags a HostConfig's `spec.plugins` asks for: `--disable-plugin NAME` for
 * each switched-off capability (http included) and `--<capability>-backend T` for each
 * backend other than the hosts' default, NATS. Unset capabilities add nothing, so a
 * HostConfig without `spec.plugins` keeps the template (and its hash) it always had.
 */
import { PLUGIN_NAMES, type Plugins } from '../../api/index.js';

/** DEFAULT_BACKEND is the backend a host pod uses for every capability the HostConfig leaves unset. */
export const DEFAULT_BACKEND = 'nats';

/** pluginFlags returns the host flags for `spec.plugins`, in PLUGIN_NAMES order. */
export function pluginFlags(plugins: Plugins | undefined): string[] {
  const args: string[] = [];
  for (const name of PLUGIN_NAMES) {
    const setting = plugins?.[name];
    if (!setting) continue;
    if (setting.enabled === false) args.push('--disable-plugin', name);
    else if ('backend' in setting && setting.backend && setting.backend !== DEFAULT_BACKEND)
      args.push(`--${name}-backend`, setting.backend);
  }
  return args;
}
