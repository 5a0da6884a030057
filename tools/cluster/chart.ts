/**
 * Installing Skiff with its Helm chart (charts/skiff), the way the chart's README tells users
 * to, with the images built here: the namespace first (labelled for Pod Security
 * "restricted"), static PersistentVolumes for NATS (the cluster has no storage provisioner),
 * then `helm upgrade --install --wait`.
 */
import { access, chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kubectl } from './install.js';
import { run } from './sh.js';

/** CHART_RELEASE is the release name; Skiff's objects are named after it. */
export const CHART_RELEASE = 'skiff';

/** HOST_SERVICE_ACCOUNT is the chart's ServiceAccount for host pods; a HostConfig in another namespace needs one there. */
export const HOST_SERVICE_ACCOUNT = `${CHART_RELEASE}-host`;

/** CHART_NAMESPACE is where the chart is installed. */
export const CHART_NAMESPACE = 'skiff-system';

/** hasChart says whether the checkout has the Helm chart. */
export async function hasChart(repo: string): Promise<boolean> {
  return access(join(repo, 'charts', 'skiff', 'Chart.yaml')).then(
    () => true,
    () => false,
  );
}

/** ChartImages are the image references the chart is given. */
export type ChartImages = Readonly<{ skiff: string; nats: string }>;

/** splitRef splits `repository:tag` at the last colon after the last slash. */
export function splitRef(ref: string): { repository: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  if (colon <= ref.lastIndexOf('/')) return { repository: ref, tag: 'latest' };
  return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

/**
 * chartValues are the --set values for the e2e cluster: local images never pulled, one
 * operator replica (a 2-core machine), and no default HostConfig (each test makes its own).
 */
export function chartValues(images: ChartImages): string[] {
  const skiff = splitRef(images.skiff);
  const nats = splitRef(images.nats);
  return [
    `image.repository=${skiff.repository}`,
    `image.tag=${skiff.tag}`,
    'image.pullPolicy=Never',
    `nats.bundled.image.repository=${nats.repository}`,
    `nats.bundled.image.tag=${nats.tag}`,
    'nats.bundled.image.pullPolicy=Never',
    'operator.replicas=1',
    'hostConfig.create=false',
  ];
}

/** createVolumes makes `count` hostPath PersistentVolumes below the state folder for claims without a storage class. */
export async function createVolumes(kubectl: Kubectl, stateDir: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const dir = join(stateDir, 'volumes', `pv${i}`);
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o777); // the pods run as non-root users the folder cannot be given to in advance
    const pv = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `skiff-e2e-pv${i}` },
      spec: {
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        hostPath: { path: dir, type: 'Directory' },
      },
    };
    await kubectl(['apply', '-f', '-'], 30_000, JSON.stringify(pv));
  }
}

/** installChart installs charts/skiff into CHART_NAMESPACE and waits until its workloads are ready. */
export async function installChart(
  repo: string,
  binDir: string,
  kubeconfig: string,
  kubectl: Kubectl,
  stateDir: string,
  images: ChartImages,
  timeoutMs: number,
): Promise<void> {
  const ns = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: CHART_NAMESPACE, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
  };
  await kubectl(['apply', '-f', '-'], 30_000, JSON.stringify(ns));
  await createVolumes(kubectl, stateDir, 2);
  const set = chartValues(images).flatMap((v) => ['--set', v]);
  await run(
    join(binDir, 'helm'),
    ['upgrade', '--install', CHART_RELEASE, join(repo, 'charts', 'skiff'), '--namespace', CHART_NAMESPACE].concat([
      '--kubeconfig',
      kubeconfig,
      ...set,
      '--wait',
      '--timeout',
      `${Math.ceil(timeoutMs / 1000)}s`,
    ]),
    { timeoutMs: timeoutMs + 10_000 },
  );
}
