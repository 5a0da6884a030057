/**
 * Machine state the cluster changes besides the network: mounts below its state folder,
 * the kubelet's cgroups, kernel settings (the kubelet, kube-proxy and the CNI bridge set
 * some), and containerd's shim processes. Snapshot before, restore after.
 */
import { readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tryRun } from './sh.js';

/** SYSCTLS are the kernel settings the cluster's components may change. */
export const SYSCTLS = [
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/route_localnet',
  'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables',
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
] as const;

/** Sysctls maps a /proc/sys path to its value. */
export type Sysctls = Record<string, string>;

/** readSysctls reads the current value of each of SYSCTLS that exists. */
export async function readSysctls(): Promise<Sysctls> {
  const values: Sysctls = {};
  for (const key of SYSCTLS) {
    const value = await readFile(join('/proc/sys', key), 'utf8').catch(() => undefined);
    if (value !== undefined) values[key] = value.trim();
  }
  return values;
}

/** restoreSysctls writes back every value that differs from `before`; it returns the keys it restored. */
export async function restoreSysctls(before: Sysctls): Promise<string[]> {
  const now = await readSysctls();
  const restored: string[] = [];
  for (const [key, value] of Object.entries(before)) {
    if (now[key] === value) continue;
    await writeFile(join('/proc/sys', key), value).then(
      () => restored.push(key),
      () => undefined,
    );
  }
  return restored;
}

/** mountsBelow lists mount points at or below `dir`, deepest first. */
export async function mountsBelow(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const points = info
    .split('\n')
    .map((line) => (line.split(' ')[4] ?? '').replace(/\\040/g, ' '))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** unmountBelow lazily unmounts everything below `dir` and returns what it unmounted. */
export async function unmountBelow(dir: string): Promise<string[]> {
  const done: string[] = [];
  for (let round = 0; round < 5; round++) {
    const points = await mountsBelow(dir);
    if (points.length === 0) break;
    for (const p of points) if ((await tryRun('umount', ['-l', p])).code === 0) done.push(p);
  }
  return done;
}

/** CGROUP_ROOT is where cgroup v1 hierarchies are mounted. */
const CGROUP_ROOT = '/sys/fs/cgroup';

/** removeTree kills what still runs in a cgroup tree (normally nothing) and removes it bottom-up. */
async function removeTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await removeTree(join(dir, e.name));
  const procs = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  for (const pid of procs.split('\n').filter((p) => p !== '')) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (
    let i = 0;
    i < 20 &&
    (await rmdir(dir).then(
      () => false,
      (e: NodeJS.ErrnoException) => e.code === 'EBUSY',
    ));
    i++
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** kubepodsCgroups lists the kubelet's `kubepods` cgroups still present, one per hierarchy. */
export async function kubepodsCgroups(): Promise<string[]> {
  const found: string[] = [];
  for (const h of await readdir(CGROUP_ROOT).catch(() => [] as string[])) {
    const dir = join(CGROUP_ROOT, h, 'kubepods');
    if ((await readdir(dir).catch(() => undefined)) !== undefined) found.push(dir);
  }
  return found;
}

/** removeKubepodsCgroups removes the kubelet's cgroup trees (empty once every container is gone). */
export async function removeKubepodsCgroups(): Promise<void> {
  for (const dir of await kubepodsCgroups()) await removeTree(dir);
}

/** processesMentioning lists `pid command` of processes whose command line contains `text`. */
export async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmd = await readFile(join('/proc', pid, 'cmdline'), 'utf8').catch(() => '');
    if (cmd.includes(text)) found.push(`${pid} ${cmd.replace(/\0/g, ' ').trim().slice(0, 200)}`);
  }
  return found;
}

/** killProcessesMentioning sends SIGKILL to every process whose command line contains `text`. */
export async function killProcessesMentioning(text: string): Promise<number> {
  const found = await processesMentioning(text);
  for (const line of found) {
    try {
      process.kill(Number(line.split(' ')[0]), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return found.length;
}
