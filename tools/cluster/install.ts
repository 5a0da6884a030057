/**
 * The e2e cluster's own additions, from tools/cluster/manifests: cluster DNS (Skiff itself is
 * installed with its chart, see chart.ts; host pods reach the cluster registry by its address,
 * named with `--insecure-registry` / HostConfig `insecureRegistries`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClusterError } from './errors.js';

/** Kubectl runs kubectl against the cluster with optional stdin and resolves with stdout. */
export type Kubectl = (args: readonly string[], timeoutMs?: number, input?: string) => Promise<string>;

/** render fills `{{name}}` placeholders from `values`; an unknown placeholder is an error. */
export function render(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined)
      throw new ClusterError('SKIFF_CLUSTER_COMMAND', `manifest placeholder {{${key}}} has no value`);
    return value;
  });
}

/** renderManifest reads tools/cluster/manifests/NAME and fills it in. */
export async function renderManifest(repo: string, name: string, values: Readonly<Record<string, string>>) {
  return render(await readFile(join(repo, 'tools', 'cluster', 'manifests', name), 'utf8'), values);
}

/** installDns applies tools/cluster/manifests/dns.yaml (CoreDNS behind the kube-dns Service at `dnsIp`) and waits for it. */
export async function installDns(
  repo: string,
  kubectl: Kubectl,
  dnsIp: string,
  corednsImage: string,
  timeoutMs: number,
) {
  await kubectl(['apply', '-f', '-'], 60_000, await renderManifest(repo, 'dns.yaml', { dnsIp, corednsImage }));
  const seconds = `${Math.ceil(timeoutMs / 1000)}s`;
  await kubectl(
    ['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', `--timeout=${seconds}`],
    timeoutMs + 5_000,
  );
}
