/**
 * The Kubernetes test environment: etcd + kube-apiserver built by tools/k8s/build.sh,
 * started on free loopback ports with throwaway certificates. `main.ts` is
 * `npm run testenv`; tests use startTestEnv through the vitest global setup.
 */
export { BUILD_COMMAND, K8S_VERSION, loadTestEnvConfig, type TestEnvConfig } from './config.js';
export { BINARIES, checkBinaries, startTestEnv, type TestEnv, type TestEnvInfo } from './env.js';
export { TestEnvError } from './errors.js';
export { type Credentials, KubeHttp, type KubeResponse } from './http.js';
