/**
 * Volumes become preopened directories. `emptyDir` is a private temporary directory
 * removed when the workload stops; `hostPath` is allowed only below the host's configured
 * roots (none by default: a workload must not reach the host's own files); `configMap` and
 * `secret` need a resolver (the operator provides their files), otherwise the start is refused.
 */
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Volume } from '../api/index.js';
import { SkiffError } from './errors.js';

/** VolumeResolver materializes configMap and secret volumes into a directory. */
export interface VolumeResolver {
  resolve(namespace: string, volume: Volume, dir: string): Promise<void>;
}

/** MaterializedVolumes maps volume names to host directories and cleans up after the workload. */
export interface MaterializedVolumes {
  readonly dirs: ReadonlyMap<string, string>;
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
 * workload overlap while the new one takes over). dispose removes that directory entirely.
 */
export async function materializeVolumes(
  namespace: string,
  volumes: readonly Volume[],
  workDir: string,
  options: { resolver?: VolumeResolver | undefined; hostPathRoots?: readonly string[]; prefix?: string } = {},
): Promise<MaterializedVolumes> {
  const { resolver, hostPathRoots = [], prefix = 'workload' } = options;
  const dirs = new Map<string, string>();
  let own: string | undefined;
  const dispose = async () => {
    if (own !== undefined) await rm(own, { recursive: true, force: true });
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
        const dir = await mkdtemp(join(own, `${v.name}-`));
        await resolver.resolve(namespace, v, dir);
        dirs.set(v.name, dir);
      }
    }
  } catch (err) {
    await dispose();
    throw err;
  }
  return { dirs, dispose };
}
