/**
 * Vitest global setup of the `e2e` project: brings the real cluster up once per run
 * (tools/cluster; minutes cold, under a minute warm) and hands its address to the tests.
 * When it cannot start, the error is handed over instead and every e2e test fails with it:
 * an e2e run that could not reach a cluster never passes. Teardown fails the run if
 * anything is left on the machine.
 */
import type { TestProject } from 'vitest/node';
import { type ClusterInfo, loadClusterConfig, startCluster } from '../../tools/cluster/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    skiffCluster: { info?: ClusterInfo; error?: string };
  }
}

/** setup starts the cluster and returns its teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const cluster = await startCluster(loadClusterConfig(), log);
    const { stop, ...info } = cluster;
    project.provide('skiffCluster', { info });
    return async () => {
      const left = await stop();
      if (left.length > 0) throw new Error(`e2e cluster teardown left:\n  ${left.join('\n  ')}`);
    };
  } catch (err) {
    project.provide('skiffCluster', { error: `the e2e cluster did not start: ${(err as Error).message}` });
    return async () => {};
  }
}
