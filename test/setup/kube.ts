/**
 * Vitest global setup for tests against a real API server: starts one etcd +
 * kube-apiserver per test run and hands its address to the tests through `inject`.
 * A startup failure (e.g. binaries not built) is handed over too, so the Kubernetes
 * tests fail with its message while unrelated tests still run.
 */
import type { TestProject } from 'vitest/node';
import { loadTestEnvConfig, startTestEnv, type TestEnvInfo } from '../../tools/testenv/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    skiffKube: { info?: TestEnvInfo; error?: string };
  }
}

/** setup starts the test environment and returns its teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const env = await startTestEnv(loadTestEnvConfig());
    project.provide('skiffKube', {
      info: { kubeconfig: env.kubeconfig, binDir: env.binDir, credentials: env.credentials },
    });
    return () => env.stop();
  } catch (err) {
    project.provide('skiffKube', { error: (err as Error).message });
    return async () => {};
  }
}
