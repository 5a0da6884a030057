/**
 * Installing Skiff into the e2e cluster the way a user would with plain manifests: the CRDs
 * from crds/, then tools/cluster/manifests/skiff.yaml (NATS and the operator), and waiting
 * until both Deployments are rolled out.
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

/** InstallValues are the addresses and images the manifests refer to. */
export type InstallValues = Readonly<{ skiffImage: string; natsImage: string; natsUrl: string }>;

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

/** installSkiff applies the CRDs and Skiff's manifests and waits for NATS and the operator. */
export async function installSkiff(repo: string, kubectl: Kubectl, values: InstallValues, timeoutMs: number) {
  const seconds = `${Math.ceil(timeoutMs / 1000)}s`;
  await kubectl(['apply', '--server-side', '-f', join(repo, 'crds')]);
  await kubectl(['wait', '--for=condition=Established', 'crd', '--all', `--timeout=${seconds}`], timeoutMs + 5_000);
  await kubectl(['apply', '-f', '-'], 60_000, await renderManifest(repo, 'skiff.yaml', values));
  for (const d of ['nats', 'skiff-operator']) {
    await kubectl(
      ['-n', 'skiff-system', 'rollout', 'status', `deployment/${d}`, `--timeout=${seconds}`],
      timeoutMs + 5_000,
    );
  }
}
