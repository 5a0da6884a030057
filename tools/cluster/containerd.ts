/**
 * The cluster's own containerd: Debian's containerd + runc with a root, state, socket and
 * CNI configuration below the cluster's state folder, so it shares nothing with any other
 * container engine on the machine. Images are imported with `ctr` from OCI archives.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Managed, startProcess } from '../testenv/process.js';
import { cniConfig } from './network.js';
import { run, tryRun } from './sh.js';

/** NAMESPACE is the containerd namespace the kubelet's CRI uses. */
export const NAMESPACE = 'k8s.io';

/** ContainerdPaths are the folders and socket of one containerd. */
export type ContainerdPaths = Readonly<{ root: string; state: string; socket: string; cniDir: string; config: string }>;

/** containerdPaths places a containerd below `stateDir`. */
export function containerdPaths(stateDir: string): ContainerdPaths {
  const base = join(stateDir, 'containerd');
  return {
    root: join(base, 'root'),
    state: join(base, 'state'),
    socket: join(base, 'containerd.sock'),
    cniDir: join(base, 'cni'),
    config: join(base, 'config.toml'),
  };
}

/**
 * containerdConfig is the configuration that works here: runc with cgroupfs, overlayfs, the
 * Debian CNI plugins, and restrict_oom_score_adj (root cannot lower oom_score_adj in this
 * sandbox; without it every pod sandbox fails to start).
 */
export function containerdConfig(paths: ContainerdPaths, sandboxImage: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${paths.root}"
state = "${paths.state}"
[grpc]
  address = "${paths.socket}"
[${cri}]
  sandbox_image = "${sandboxImage}"
  restrict_oom_score_adj = true
  enable_selinux = false
[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[${cri}.containerd.runtimes.runc.options]
  BinaryName = "/usr/sbin/runc"
  SystemdCgroup = false
[${cri}.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "${paths.cniDir}"
`;
}

/** startContainerd writes the configuration and CNI conflist and starts containerd. */
export async function startContainerd(
  paths: ContainerdPaths,
  sandboxImage: string,
  network: Readonly<{ bridge: string; podCidr: string; ipamDir: string }>,
  logFile: string,
): Promise<Managed> {
  await mkdir(paths.cniDir, { recursive: true });
  await writeFile(paths.config, containerdConfig(paths, sandboxImage));
  await writeFile(join(paths.cniDir, '10-skiff.conflist'), cniConfig(network.bridge, network.podCidr, network.ipamDir));
  return startProcess('containerd', 'containerd', ['--config', paths.config], logFile);
}

/** ctr runs `ctr` against this containerd in the CRI namespace. */
export function ctr(paths: ContainerdPaths, args: readonly string[], timeoutMs = 120_000): Promise<string> {
  return run('ctr', ['--address', paths.socket, '--namespace', NAMESPACE, ...args], { timeoutMs });
}

/** ready resolves whether containerd answers on its socket. */
export async function containerdReady(paths: ContainerdPaths): Promise<boolean> {
  return (await tryRun('ctr', ['--address', paths.socket, 'version'], { timeoutMs: 5_000 })).code === 0;
}

/** importImage loads an OCI archive (whose image is named `ref`) and also names it each of `aliases`. */
export async function importImage(
  paths: ContainerdPaths,
  archive: string,
  ref: string,
  aliases: readonly string[] = [],
) {
  await ctr(paths, ['images', 'import', archive], 300_000);
  for (const alias of aliases) await ctr(paths, ['images', 'tag', '--force', ref, alias]);
}

/** runningTasks lists the ids of containers with a task (a running or stopped process) in the CRI namespace. */
export async function runningTasks(paths: ContainerdPaths): Promise<string[]> {
  const out = await tryRun('ctr', ['--address', paths.socket, '--namespace', NAMESPACE, 'tasks', 'ls', '-q']);
  return out.code === 0 ? out.stdout.split('\n').filter((l) => l !== '') : [];
}

/** killTasks force-kills and deletes every remaining task (the last resort of teardown). */
export async function killTasks(paths: ContainerdPaths): Promise<void> {
  for (const id of await runningTasks(paths)) {
    await tryRun('ctr', ['--address', paths.socket, '--namespace', NAMESPACE, 'tasks', 'kill', '-s', 'SIGKILL', id]);
    await tryRun('ctr', ['--address', paths.socket, '--namespace', NAMESPACE, 'tasks', 'delete', '-f', id]);
  }
}
