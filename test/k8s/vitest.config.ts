/**
 * Vitest config of the Kubernetes tier alone: one etcd + kube-apiserver for the whole
 * run (test/setup/kube.ts). `npx vitest run --config test/k8s/vitest.config.ts`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/k8s/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    globalSetup: ['test/setup/kube.ts'],
  },
});
