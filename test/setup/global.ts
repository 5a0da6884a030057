/**
 * Vitest global setup: builds the guest fixtures once per run (cached by source hash).
 * Other helpers (nats-server, kube-apiserver) are started by the tests that need them.
 */
export default async function setup(): Promise<void> {}
