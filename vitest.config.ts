import { defineConfig } from 'vitest/config';

// Four projects: everything that runs guests (unit tests, host, protocol, OCI tiers) shares
// the fixture build in test/setup/global.ts; the Kubernetes tier shares one API server; the
// end-to-end tier shares one real cluster (test/setup/cluster.ts, tools/cluster).
export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'host',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
          exclude: ['test/k8s/**', 'test/operator/**', 'test/e2e/**', '**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          globalSetup: ['test/setup/global.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'k8s',
          include: ['test/k8s/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          globalSetup: ['test/setup/kube.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'operator',
          include: ['test/operator/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 600_000,
          globalSetup: ['test/setup/global.ts', 'test/setup/kube.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 300_000,
          // Cold, the cluster's images take minutes to build (cached afterwards).
          hookTimeout: 1_800_000,
          globalSetup: ['test/setup/global.ts', 'test/setup/cluster.ts'],
          // One cluster, one node: e2e files run one after the other.
          fileParallelism: false,
        },
      },
    ],
  },
});
