/**
 * One cluster per machine (it owns a bridge name, iptables chains and the kubelet's cgroups):
 * a lock file in the cache names the process and state folder of the running cluster. A
 * second start waits for it (bounded) and then refuses; a crashed holder's record is handed
 * back so its leftovers can be swept.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
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

async function holder(file: string): Promise<LockRecord | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<LockRecord>;
    if (typeof parsed.pid === 'number' && typeof parsed.stateDir === 'string') return parsed as LockRecord;
  } catch {
    // garbled: treated as a dead holder below
  }
  return { pid: 0, stateDir: '' };
}

/**
 * acquireLock takes the lock for this process and `stateDir` (an exclusive create, so two
 * starts cannot both win). While a live process holds it, it waits up to `waitMs` (telling
 * `log` once), then throws SKIFF_CLUSTER_BUSY. It returns the record of a dead holder, whose
 * leftovers the caller sweeps.
 */
export async function acquireLock(
  file: string,
  stateDir: string,
  waitMs = 0,
  log: (line: string) => void = () => {},
): Promise<LockRecord | undefined> {
  await mkdir(dirname(file), { recursive: true });
  const deadline = Date.now() + waitMs;
  let stale: LockRecord | undefined;
  let told = false;
  for (;;) {
    try {
      await writeFile(file, JSON.stringify({ pid: process.pid, stateDir } satisfies LockRecord), { flag: 'wx' });
      return stale;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = await holder(file);
    if (held === undefined) continue; // released between the two calls
    if (held.pid === process.pid || !running(held.pid)) {
      if (held.pid !== process.pid && held.stateDir !== '') stale = held;
      await rm(file, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new ClusterError(
        'SKIFF_CLUSTER_BUSY',
        `a cluster is already running on this machine (pid ${held.pid}, state ${held.stateDir}); stop it first`,
      );
    }
    if (!told) log(`cluster: waiting up to ${Math.round(waitMs / 1000)} s for the cluster of pid ${held.pid} to stop`);
    told = true;
    await delay(Math.min(2_000, Math.max(0, deadline - Date.now())));
  }
}

/** releaseLock removes the lock file if this process holds it. */
export async function releaseLock(file: string): Promise<void> {
  if ((await holder(file))?.pid === process.pid) await rm(file, { force: true });
}
