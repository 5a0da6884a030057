/**
 * Vitest global setup: builds every guest fixture once per run, one after the other
 * (cached by source hash outside the checkout), before test files run in parallel.
 * A fixture that fails to build does not stop the run: its error is handed to the tests
 * (`inject('fixtureFailures')`), and only the tests that ask for that fixture fail.
 * Servers (nats-server, kube-apiserver) are started by the tests that need them.
 */
import type { TestProject } from 'vitest/node';
import { buildAllFixtures } from '../../tools/fixtures/build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** fixtureFailures maps each fixture that failed to build to its error message. */
    fixtureFailures: Record<string, string>;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const { failed } = await buildAllFixtures();
  for (const [name, message] of Object.entries(failed)) {
    process.stderr.write(`fixtures: ${name} failed to build; the tests that need it will fail:\n  ${message}\n`);
  }
  project.provide('fixtureFailures', failed);
}
