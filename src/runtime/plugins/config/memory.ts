/**
 * The in-memory config backend: the manifest's map plus an overlay per component that the
 * host (or `skiff dev`) can change at run time with `set` / `unset`.
 */
import type { ConfigBackend, ConfigRef, ConfigView } from './backend.js';

function idOf(ref: ConfigRef): string {
  return `${ref.namespace}\u0000${ref.workload}\u0000${ref.component}`;
}

/** MemoryConfigBackend serves configuration from the manifest and an in-memory overlay. */
export class MemoryConfigBackend implements ConfigBackend {
  readonly #overlays = new Map<string, Map<string, string>>();

  /** set overrides `key` for the component `ref` in every running and future view. */
  set(ref: ConfigRef, key: string, value: string): void {
    const id = idOf(ref);
    const overlay = this.#overlays.get(id) ?? new Map<string, string>();
    overlay.set(key, value);
    this.#overlays.set(id, overlay);
  }

  /** unset removes an override, so the manifest's value (if any) shows again. */
  unset(ref: ConfigRef, key: string): void {
    this.#overlays.get(idOf(ref))?.delete(key);
  }

  open(ref: ConfigRef, base: Readonly<Record<string, string>>): ConfigView {
    const id = idOf(ref);
    const overlay = () => this.#overlays.get(id);
    return {
      get: async (key) => overlay()?.get(key) ?? (Object.hasOwn(base, key) ? base[key] : undefined),
      getAll: async () => ({ ...base, ...Object.fromEntries(overlay() ?? []) }),
    };
  }
}

/** memoryConfigBackend returns an in-memory config backend with no overrides. */
export function memoryConfigBackend(): MemoryConfigBackend {
  return new MemoryConfigBackend();
}
