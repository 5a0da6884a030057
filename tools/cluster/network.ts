/**
 * The cluster's network on this machine: the node address, the CNI bridge configuration,
 * a guard that keeps pod traffic on the machine, and the sweep that removes what the
 * cluster added (iptables chains, the bridge, network namespaces).
 */
import { networkInterfaces } from 'node:os';
import { ClusterError } from './errors.js';
import { run, tryRun } from './sh.js';

/** GUARD_CHAIN is the mangle-table chain that drops forwarded pod traffic leaving the pod range. */
export const GUARD_CHAIN = 'SKIFF-CLUSTER-GUARD';

/**
 * machineAddress returns this machine's first non-loopback IPv4 address: the API server
 * advertises it (pods reach it through the `kubernetes` Service) and the registry listens on it.
 */
export function machineAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new ClusterError('SKIFF_CLUSTER_NO_ADDRESS', 'no non-loopback IPv4 address on this machine for the API server');
}

/** firstHost returns the first usable address of an IPv4 CIDR (the `kubernetes` Service IP, the bridge gateway). */
export function firstHost(cidr: string): string {
  const [base] = cidr.split('/');
  const parts = (base ?? '').split('.').map(Number);
  parts[3] = (parts[3] ?? 0) + 1;
  return parts.join('.');
}

/** cniConfig is the bridge network conflist: one bridge, host-local IPAM, no masquerading. */
export function cniConfig(bridge: string, podCidr: string, ipamDir: string): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'skiff-cluster',
      plugins: [
        {
          type: 'bridge',
          bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: ipamDir,
            ranges: [[{ subnet: podCidr, gateway: firstHost(podCidr) }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
      ],
    },
    null,
    2,
  );
}

/**
 * guardPodTraffic makes sure pods reach only the machine and each other: the bridge plugin
 * turns IP forwarding on, so forwarded packets from the pod range to anywhere else are dropped.
 */
export async function guardPodTraffic(podCidr: string): Promise<void> {
  await run('iptables', ['-t', 'mangle', '-N', GUARD_CHAIN]);
  await run('iptables', ['-t', 'mangle', '-A', GUARD_CHAIN, '-s', podCidr, '!', '-d', podCidr, '-j', 'DROP']);
  await run('iptables', ['-t', 'mangle', '-I', 'FORWARD', '1', '-j', GUARD_CHAIN]);
}

/** clusterChain says whether an iptables chain is one the cluster made (kube-proxy, kubelet, our guard). */
function clusterChain(name: string): boolean {
  return name.startsWith('KUBE-') || name === GUARD_CHAIN;
}

/**
 * sweepIptables removes every rule that jumps to a cluster chain, then the chains, in all
 * tables, for IPv4 and IPv6. It returns the chains it removed.
 */
export async function sweepIptables(): Promise<string[]> {
  const removed: string[] = [];
  for (const tool of ['iptables', 'ip6tables']) {
    const saved = await tryRun(`${tool}-save`, []);
    if (saved.code !== 0) continue;
    let table = '';
    const jumps: [string, string[]][] = [];
    const chains: [string, string][] = [];
    for (const line of saved.stdout.split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      else if (line.startsWith(':') && clusterChain(line.slice(1).split(' ')[0] ?? '')) {
        chains.push([table, line.slice(1).split(' ')[0]!]);
      } else if (line.startsWith('-A ')) {
        const words = line.split(' ');
        const target = words[words.indexOf('-j') + 1] ?? '';
        if (!clusterChain(words[1] ?? '') && clusterChain(target)) jumps.push([table, words.slice(1)]);
      }
    }
    // A rule is deleted by its own spec; iptables-save quotes comments, so a shell re-reads the line.
    for (const [t, spec] of jumps) {
      await tryRun('sh', ['-c', `${tool} -t ${t} -D ${spec.join(' ')}`]);
    }
    for (const [t, chain] of chains) await tryRun(tool, ['-t', t, '-F', chain]);
    for (const [t, chain] of chains) {
      if ((await tryRun(tool, ['-t', t, '-X', chain])).code === 0) removed.push(`${tool} ${t} ${chain}`);
    }
  }
  return removed;
}

/** clusterChainsLeft lists cluster chains still present (empty after a clean teardown). */
export async function clusterChainsLeft(): Promise<string[]> {
  const left: string[] = [];
  for (const tool of ['iptables', 'ip6tables']) {
    const saved = await tryRun(`${tool}-save`, []);
    for (const line of saved.stdout.split('\n')) {
      const name = line.startsWith(':') ? (line.slice(1).split(' ')[0] ?? '') : '';
      if (clusterChain(name)) left.push(`${tool} ${name}`);
    }
  }
  return left;
}

/** namespaces lists the network namespaces in /run/netns. */
export async function namespaces(): Promise<string[]> {
  const out = await tryRun('ip', ['netns', 'list']);
  return out.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/** removeBridge deletes the CNI bridge if it exists. */
export async function removeBridge(bridge: string): Promise<void> {
  await tryRun('ip', ['link', 'delete', bridge]);
}

/** bridgeExists says whether the CNI bridge interface is present. */
export async function bridgeExists(bridge: string): Promise<boolean> {
  return (await tryRun('ip', ['link', 'show', bridge])).code === 0;
}
