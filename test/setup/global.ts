/**
 * Vitest global setup: builds every guest fixture once per run, one after the other
 * (cached by source hash outside the checkout), before test files run in parallel.
 * Servers (nats-server, kube-apiserver) are started by the tests that need them.
 */
import { buildAllFixtures } from '../../tools/fixtures/build.js';

export default async function setup(): Promise<void> {
  await buildAllFixtures();
}
