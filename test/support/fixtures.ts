/**
 * Guest fixtures for tests: built from test/fixtures/ (and examples/hello) by the global
 * setup and cached by source hash outside the checkout (see tools/fixtures/build.ts). A
 * fixture whose build failed there fails the tests that ask for it, with the build's error.
 */
import { inject } from 'vitest';
import { buildFixture } from '../../tools/fixtures/build.js';

/** FixtureName names a fixture tests can ask for. */
export type FixtureName =
  | 'hello-js'
  | 'hello-c'
  | 'kitchen-sink'
  | 'otel-js'
  | 'secrets-js'
  | 'service-js'
  | 'service-c'
  | 'tcp-client-c'
  | 'example-hello'
  | 'custom-plugin'
  | 'broken-not-wasm'
  | 'broken-core-module'
  | 'broken-truncated';

/** FixtureUnavailableError means the global setup could not build a fixture a test asked for. */
export class FixtureUnavailableError extends Error {
  override readonly name = 'FixtureUnavailableError';
  readonly code = 'SKIFF_FIXTURE_UNAVAILABLE';
  constructor(fixture: string, why: string) {
    super(`fixture ${fixture} is not available: ${why}`);
  }
}

/**
 * fixtureFrom returns `build(name)` unless `failed` records a build failure for the fixture,
 * which it rejects with instead of building again.
 */
export async function fixtureFrom(
  failed: Readonly<Record<string, string>>,
  name: string,
  build: (name: string) => Promise<string>,
): Promise<string> {
  const why = failed[name];
  if (why !== undefined) throw new FixtureUnavailableError(name, why);
  return build(name);
}

/** fixturePath returns the absolute path of a fixture's .wasm, building it if it is not cached. */
export function fixturePath(name: FixtureName): Promise<string> {
  return fixtureFrom(providedFailures(), name, buildFixture);
}

/** providedFailures reads what the global setup handed over (none outside vitest's `host` and `operator` projects). */
function providedFailures(): Record<string, string> {
  try {
    return (inject('fixtureFailures' as never) as Record<string, string> | undefined) ?? {};
  } catch {
    return {};
  }
}
