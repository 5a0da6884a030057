/**
 * One cluster per machine (it owns a bridge name, iptables chains and the kubelet's cgroups):
 * a lock file in the cache names the process and state folder of the running cluster, so a
 * second one refuses to start and a crashed one's leftovers can be swept.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ClusterError } from './errors.js';

/** LockRecord is what the lock file holds. */
export type LockRecord = Readonly<{ pid: number; stateDir: string }>;

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * acquireLock takes the lock for this process and `stateDir`. It throws SKIFF_CLUSTER_BUSY
 * when a live process holds it, and returns the record of a dead holder (to sweep) if any.
 */
export async function acquireLock(file: string, stateDir: string): Promise<LockRecord | undefined> {
  await mkdir(dirname(file), { recursive: true });
  let stale: LockRecord | undefined;
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text !== undefined) {
    const held = JSON.parse(text) as LockRecord;
    if (held.pid !== process.pid && running(held.pid)) {
      throw new ClusterError(
        'SKIFF_CLUSTER_BUSY',
        `a cluster is already running on this machine (pid ${held.pid}, state ${held.stateDir}); stop it first`,
      );
    }
    stale = held;
  }
  await writeFile(file, JSON.stringify({ pid: process.pid, stateDir } satisfies LockRecord));
  return stale;
}

/** releaseLock removes the lock file if this process holds it. */
export async function releaseLock(file: string): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text !== undefined && (JSON.parse(text) as LockRecord).pid === process.pid) await rm(file, { force: true });
}
