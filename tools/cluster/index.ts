/**
 * The e2e cluster: a real single-node Kubernetes on this machine (kubelet + containerd +
 * runc, controller-manager, scheduler, kube-proxy, a plain-HTTP registry), with images
 * built offline from the Dockerfile and Skiff installed into it. `main.ts` is
 * `npm run cluster`; the e2e tests use startCluster through their global setup.
 */

export { CHART_NAMESPACE, HOST_SERVICE_ACCOUNT } from './chart.js';
export { type Cluster, type ClusterInfo, startCluster } from './cluster.js';
export { type ClusterConfig, loadClusterConfig } from './config.js';
export { ClusterError, type ClusterErrorCode } from './errors.js';
export { render, renderManifest } from './install.js';
