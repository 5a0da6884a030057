import { defineConfig } from 'vitest/config';

/**
 * The test tiers of DESIGN.md as vitest projects (`vitest run --project NAME`):
 * - `unit`: tests next to the code that start no other process and need no built guest
 *   (`npm run test:unit`);
 * - `integration`: real guests (the fixture build in test/setup/global.ts), real
 *   nats-server, real hosts and `skiff` processes, OCI registries;
 * - `k8s`: a real kube-apiserver + etcd (test/setup/kube.ts);
 * - `operator`: both — the operator against the API server with real hosts;
 * - `e2e`: a real single-node cluster (kubelet, containerd, runc; test/setup/cluster.ts).
 */
const NEEDS_PROCESSES = ['src/**/nats.test.ts', 'src/**/redis.test.ts', 'src/runtime/engine/inspector.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          exclude: [...NEEDS_PROCESSES, '**/node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [...NEEDS_PROCESSES, 'test/**/*.test.ts', 'examples/**/*.test.ts'],
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
