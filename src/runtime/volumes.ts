/**
 * Volumes become preopened directories. `emptyDir` is a private temporary directory
 * removed when the workload stops; `hostPath` is allowed only below the host's configured
 * roots (none by default: a workload must not reach the host's own files); `configMap` and
 * `secret` need a resolver (`projectSources`: the contents the operator sent with the start),
 * otherwise the start is refused. Those two are private to the start and always read-only.
 */
import { chmod, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { KeyToPath, Volume } from '../api/index.js';
import { SkiffError } from './errors.js';
import { ConfigInvalidError, type ConfigSources } from './sources.js';

/** DEFAULT_FILE_MODE is the mode of projected files when the volume sets none (as in a Pod). */
export const DEFAULT_FILE_MODE = 0o644;

/** VolumeResolver materializes configMap and secret volumes into a directory. */
export interface VolumeResolver {
  resolve(namespace: string, volume: Volume, dir: string): Promise<void>;
}

/** MaterializedVolumes maps volume names to host directories and cleans up after the workload. */
export interface MaterializedVolumes {
  readonly dirs: ReadonlyMap<string, string>;
  /** readOnly names the volumes every mount sees read-only (configMap and secret). */
  readonly readOnly: ReadonlySet<string>;
  dispose(): Promise<void>;
}

/** VolumeError means a volume could not be provided. */
export class VolumeError extends SkiffError {
  constructor(message: string) {
    super('SKIFF_VOLUME', message);
  }
}

/** within says whether `path` is `root` or below it. */
function within(root: string, path: string): boolean {
  const rel = relative(resolve(root), path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}

async function hostPathDir(name: string, path: string, roots: readonly string[]): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new VolumeError(`volume "${name}": hostPath ${path} does not exist on this host`);
  }
  if (!roots.some((root) => within(root, real))) {
    throw new VolumeError(
      roots.length === 0
        ? `volume "${name}": hostPath volumes are not allowed on this host`
        : `volume "${name}": hostPath ${path} is outside the allowed roots (${roots.join(', ')})`,
    );
  }
  return real;
}

/**
 * materializeVolumes creates the directories of one start of a workload's volumes, in a
 * directory of its own below `workDir` (named `<prefix>-<random>`: two generations of one
 * workload overlap while the new one takes over); secret volumes go below `secretDir` instead
 * when it is set (a memory-backed directory in host pods, so secrets never reach a disk).
 * dispose removes those directories entirely.
 */
export async function materializeVolumes(
  namespace: string,
  volumes: readonly Volume[],
  workDir: string,
  options: {
    resolver?: VolumeResolver | undefined;
    hostPathRoots?: readonly string[];
    prefix?: string;
    secretDir?: string | undefined;
  } = {},
): Promise<MaterializedVolumes> {
  const { resolver, hostPathRoots = [], prefix = 'workload', secretDir } = options;
  const dirs = new Map<string, string>();
  const readOnly = new Set<string>();
  let own: string | undefined;
  let ownSecrets: string | undefined;
  const dispose = async () => {
    for (const dir of [own, ownSecrets]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  };
  try {
    await mkdir(workDir, { recursive: true });
    own = await mkdtemp(join(workDir, `${prefix}-`));
    for (const v of volumes) {
      if (v.hostPath) {
        dirs.set(v.name, await hostPathDir(v.name, v.hostPath.path, hostPathRoots));
      } else if (v.emptyDir) {
        const dir = await mkdtemp(join(own, `${v.name}-`));
        dirs.set(v.name, dir);
      } else if (v.configMap || v.secret) {
        if (!resolver) {
          const kind = v.configMap ? 'configMap' : 'secret';
          throw new VolumeError(
            `volume "${v.name}": ${kind} volumes need the operator (or a VolumeResolver); this host has none`,
          );
        }
        let parent = own;
        if (v.secret && secretDir !== undefined) {
          if (ownSecrets === undefined) {
            await mkdir(secretDir, { recursive: true });
            ownSecrets = await mkdtemp(join(secretDir, `${prefix}-`));
          }
          parent = ownSecrets;
        }
        const dir = await mkdtemp(join(parent, `${v.name}-`));
        await resolver.resolve(namespace, v, dir);
        dirs.set(v.name, dir);
        readOnly.add(v.name);
      }
    }
  } catch (err) {
    await dispose();
    throw err;
  }
  return { dirs, readOnly, dispose };
}

/**
 * projectSources is the VolumeResolver of one start: it writes a configMap or secret
 * volume's keys (all of them, or its `items`) as files, with `mode` / `defaultMode` (0644 by
 * default; the owner may always read, or the host could not serve the file). A missing
 * object or key fails the start unless the volume is `optional`.
 */
export function projectSources(sources: ConfigSources): VolumeResolver {
  return {
    async resolve(_namespace, volume, dir) {
      const cm = volume.configMap;
      const secret = volume.secret;
      const kind = cm ? 'ConfigMap' : 'Secret';
      const name = cm?.name ?? secret?.secretName;
      const spec = cm ?? secret;
      if (!spec || name === undefined) throw new VolumeError(`volume "${volume.name}" is not a configMap or secret`);
      const optional = spec.optional ?? false;
      const data = sources.get(kind, name, optional);
      if (!data) return; // optional and absent: an empty volume
      const items: KeyToPath[] = spec.items ?? [...data.keys()].sort().map((key) => ({ key, path: key }));
      for (const item of items) {
        const bytes = data.get(item.key);
        if (!bytes) {
          if (optional) continue;
          throw new ConfigInvalidError(`volume "${volume.name}": ${kind} ${name} has no key "${item.key}"`);
        }
        const file = join(dir, item.path);
        if (!within(dir, file)) throw new VolumeError(`volume "${volume.name}": path ${item.path} leaves the volume`);
        const mode = ((item.mode ?? spec.defaultMode ?? DEFAULT_FILE_MODE) & 0o777) | 0o400;
        try {
          await mkdir(dirname(file), { recursive: true, mode: 0o700 });
          // wx: never write through something already there (another item's path, a link).
          await writeFile(file, bytes, { mode: 0o600, flag: 'wx' });
          await chmod(file, mode); // exactly, whatever the umask
        } catch (err) {
          throw new VolumeError(
            `volume "${volume.name}": cannot write ${item.path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
          );
        }
      }
    },
  };
}
