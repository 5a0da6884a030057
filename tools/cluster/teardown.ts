/**
 * Tearing the cluster down so that nothing is left: pods are deleted through the API while
 * the kubelet still runs (so each sandbox's network is released by CNI), then every process
 * stops, and a sweep removes what a crash could leave behind (tasks, shims, mounts, network
 * namespaces, the bridge, iptables chains, cgroups, kernel settings). It then checks.
 */
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Managed } from '../testenv/process.js';
import { type ContainerdPaths, killTasks, runningTasks } from './containerd.js';
import {
  killProcessesMentioning,
  kubepodsCgroups,
  mountsBelow,
  processesMentioning,
  removeKubepodsCgroups,
  restoreSysctls,
  type Sysctls,
  unmountBelow,
} from './machine.js';
import { bridgeExists, clusterChainsLeft, namespaces, removeBridge, sweepIptables } from './network.js';
import { tryRun } from './sh.js';
import { stopGracefully } from './wait.js';

/** TeardownState is what teardown needs to know about a cluster (or a crashed one's leftovers). */
export type TeardownState = Readonly<{
  stateDir: string;
  bridge: string;
  containerd: ContainerdPaths;
  processes: readonly Managed[];
  /** kubectl runs kubectl against the cluster (undefined once the API server is gone). */
  kubectl?: ((args: readonly string[], timeoutMs?: number) => Promise<unknown>) | undefined;
  sysctls?: Sysctls | undefined;
  /** netnsBefore lists the network namespaces that existed before the cluster started. */
  netnsBefore?: readonly string[] | undefined;
  /** kubeProxy is kube-proxy's binary, run with --cleanup. */
  kubeProxy: string;
  keep: boolean;
}>;

const STOP_ORDER = ['kube-controller-manager', 'kube-scheduler', 'kube-proxy', 'kubelet', 'containerd'];

function byName(processes: readonly Managed[], name: string): Managed | undefined {
  return processes.find((p) => p.name === name);
}

function alive(p: Managed | undefined): boolean {
  return p !== undefined && p.child.exitCode === null && p.child.signalCode === null;
}

/** drainPods deletes every pod through the API and waits (bounded) until containerd has no task left. */
async function drainPods(state: TeardownState, log: (line: string) => void): Promise<void> {
  if (!state.kubectl || !alive(byName(state.processes, 'kubelet'))) return;
  await state.kubectl(['delete', 'pods', '--all', '--all-namespaces', '--grace-period=3', '--wait=false'], 30_000);
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline && (await runningTasks(state.containerd)).length > 0) await delay(250);
  const left = await runningTasks(state.containerd);
  if (left.length > 0) log(`teardown: ${left.length} container(s) still running after 45 s; killing them`);
}

/**
 * teardown stops the cluster and removes everything it made; it resolves with the leftovers
 * it still finds afterwards (empty when the machine is as before).
 */
export async function teardown(state: TeardownState, log: (line: string) => void): Promise<string[]> {
  for (const name of STOP_ORDER.slice(0, 2)) {
    const p = byName(state.processes, name);
    if (p) await stopGracefully(p);
  }
  if (state.keep) {
    // The kubelet removes a pod's logs with the pod: keep a copy for debugging.
    await cp(join(state.stateDir, 'pod-logs'), join(state.stateDir, 'pod-logs-kept'), { recursive: true }).catch(
      () => undefined,
    );
  }
  await drainPods(state, log).catch((err: Error) => log(`teardown: deleting pods failed: ${err.message}`));
  for (const name of STOP_ORDER.slice(2, 4)) {
    const p = byName(state.processes, name);
    if (p) await stopGracefully(p);
  }
  if (alive(byName(state.processes, 'containerd'))) await killTasks(state.containerd);
  for (const p of [...state.processes].reverse())
    await stopGracefully(p, p.name === 'kube-apiserver' ? 15_000 : 10_000);
  return sweep(state, log);
}

/** sweep removes what the cluster's processes left (all of it after a crash) and lists what remains. */
export async function sweep(state: TeardownState, log: (line: string) => void): Promise<string[]> {
  await tryRun(state.kubeProxy, ['--cleanup', '--proxy-mode=iptables'], { timeoutMs: 30_000 });
  const killed = await killProcessesMentioning(state.stateDir);
  if (killed > 0) log(`teardown: killed ${killed} leftover process(es) (containerd shims or a crashed run)`);
  await removeKubepodsCgroups();
  const before = new Set(state.netnsBefore ?? []);
  for (const ns of await namespaces()) {
    // containerd names its pod namespaces cni-<uuid>; after a crash the list from before is unknown.
    if (!before.has(ns) && ns.startsWith('cni-')) await tryRun('ip', ['netns', 'delete', ns]);
  }
  await unmountBelow(state.stateDir);
  await removeBridge(state.bridge);
  const chains = await sweepIptables();
  if (chains.length > 0) log(`teardown: removed ${chains.length} iptables chain(s)`);
  if (state.sysctls) {
    const restored = await restoreSysctls(state.sysctls);
    if (restored.length > 0) log(`teardown: restored ${restored.join(', ')}`);
  }
  const leftovers = [
    ...(await processesMentioning(state.stateDir)).map((p) => `process ${p}`),
    ...(await mountsBelow(state.stateDir)).map((m) => `mount ${m}`),
    ...(await namespaces()).filter((n) => !before.has(n) && n.startsWith('cni-')).map((n) => `netns ${n}`),
    ...(await clusterChainsLeft()).map((c) => `iptables chain ${c}`),
    ...(await kubepodsCgroups()).map((c) => `cgroup ${c}`),
    ...((await bridgeExists(state.bridge)) ? [`bridge ${state.bridge}`] : []),
  ];
  if (leftovers.length === 0 && !state.keep) await rm(state.stateDir, { recursive: true, force: true });
  return leftovers;
}
