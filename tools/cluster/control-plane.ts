/**
 * The control plane of the e2e cluster: etcd and kube-apiserver (advertising this machine's
 * address, so pods reach it through the `kubernetes` Service), kube-controller-manager (the
 * service-account token controller needs the signing key and the CA) and kube-scheduler.
 */
import { join } from 'node:path';
import type { Credentials } from '../testenv/http.js';
import { KubeHttp } from '../testenv/http.js';
import { freePorts } from '../testenv/ports.js';
import { type Managed, startProcess, waitUntil } from '../testenv/process.js';
import type { ClusterCerts } from './certs.js';
import { notReady } from './wait.js';

/** ControlPlane is the running control-plane processes and how to reach the API server. */
export type ControlPlane = Readonly<{ processes: Managed[]; admin: Credentials; server: string }>;

/** ControlPlaneOptions are what the control plane needs from the rest of the cluster. */
export type ControlPlaneOptions = Readonly<{
  binDir: string;
  stateDir: string;
  nodeIp: string;
  serviceCidr: string;
  podCidr: string;
  certs: ClusterCerts;
  adminKubeconfig: string;
  deadline: number;
}>;

async function healthy(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return res.ok && ((await res.json()) as { health?: string }).health === 'true';
}

/** startEtcdAndApiServer starts etcd and kube-apiserver and resolves once /readyz answers. */
export async function startEtcdAndApiServer(o: ControlPlaneOptions, processes: Managed[]): Promise<ControlPlane> {
  const bin = (name: string) => join(o.binDir, name);
  const log = (name: string) => join(o.stateDir, `${name}.log`);
  const [etcdClient, etcdPeer, apiPort] = (await freePorts(3)) as [number, number, number];
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  const etcd = startProcess(
    'etcd',
    bin('etcd'),
    [`--data-dir=${join(o.stateDir, 'etcd')}`, `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`]
      .concat([
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      ])
      .concat([`--initial-cluster=default=http://127.0.0.1:${etcdPeer}`, '--unsafe-no-fsync=true', '--log-level=warn']),
    log('etcd'),
  );
  processes.push(etcd);
  const etcdOutcome = await waitUntil(etcd, () => healthy(`${etcdUrl}/health`), o.deadline);
  if (etcdOutcome !== 'ready') throw await notReady(etcd, 'healthy', etcdOutcome);

  const server = `https://${o.nodeIp}:${apiPort}`;
  const c = o.certs;
  const apiserver = startProcess(
    'kube-apiserver',
    bin('kube-apiserver'),
    [
      `--etcd-servers=${etcdUrl}`,
      `--secure-port=${apiPort}`,
      `--bind-address=${o.nodeIp}`,
      `--advertise-address=${o.nodeIp}`,
    ]
      .concat([`--cert-dir=${join(o.stateDir, 'apiserver-certs')}`, `--tls-cert-file=${c.servingCert}`])
      .concat([`--tls-private-key-file=${c.servingKey}`, `--client-ca-file=${c.caCert}`])
      .concat([`--service-cluster-ip-range=${o.serviceCidr}`, '--authorization-mode=Node,RBAC'])
      .concat(['--enable-admission-plugins=NodeRestriction', '--allow-privileged=true'])
      .concat(['--service-account-issuer=https://kubernetes.default.svc.cluster.local'])
      .concat([
        `--service-account-key-file=${c.serviceAccountPub}`,
        `--service-account-signing-key-file=${c.serviceAccountKey}`,
      ])
      .concat([`--kubelet-client-certificate=${c.adminCert}`, `--kubelet-client-key=${c.adminKey}`])
      .concat(['--kubelet-preferred-address-types=InternalIP']),
    log('kube-apiserver'),
  );
  processes.push(apiserver);
  const admin: Credentials = { server, caFile: c.caCert, certFile: c.adminCert, keyFile: c.adminKey };
  const http = new KubeHttp(admin);
  try {
    const ready = async () => (await http.send('GET', '/readyz', undefined, undefined, 5_000)).status === 200;
    const outcome = await waitUntil(apiserver, ready, o.deadline);
    if (outcome !== 'ready') throw await notReady(apiserver, 'ready (/readyz)', outcome);
  } finally {
    http.close();
  }
  return { processes, admin, server };
}

/** startControllers starts kube-controller-manager and kube-scheduler (no leader election: one of each). */
export async function startControllers(o: ControlPlaneOptions, processes: Managed[]): Promise<void> {
  const [kcmPort, schedPort] = (await freePorts(2)) as [number, number];
  const kubeconfig = [`--kubeconfig=${o.adminKubeconfig}`, `--authentication-kubeconfig=${o.adminKubeconfig}`].concat([
    `--authorization-kubeconfig=${o.adminKubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
  ]);
  processes.push(
    startProcess(
      'kube-controller-manager',
      join(o.binDir, 'kube-controller-manager'),
      [...kubeconfig, `--secure-port=${kcmPort}`, `--service-account-private-key-file=${o.certs.serviceAccountKey}`]
        .concat([`--root-ca-file=${o.certs.caCert}`, '--use-service-account-credentials=true'])
        .concat([
          `--service-cluster-ip-range=${o.serviceCidr}`,
          `--cluster-cidr=${o.podCidr}`,
          '--allocate-node-cidrs=false',
        ]),
      join(o.stateDir, 'kube-controller-manager.log'),
    ),
    startProcess(
      'kube-scheduler',
      join(o.binDir, 'kube-scheduler'),
      [...kubeconfig, `--secure-port=${schedPort}`],
      join(o.stateDir, 'kube-scheduler.log'),
    ),
  );
}
