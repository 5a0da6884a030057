/**
 * Guest fixtures for tests: built from test/fixtures/ (and examples/hello) on first use and
 * cached by source hash outside the checkout (see tools/fixtures/build.ts).
 */
import { buildFixture } from '../../tools/fixtures/build.js';

/** FixtureName names a fixture tests can ask for. */
export type FixtureName =
  | 'hello-js'
  | 'hello-c'
  | 'kitchen-sink'
  | 'example-hello'
  | 'custom-plugin'
  | 'broken-not-wasm'
  | 'broken-core-module'
  | 'broken-truncated';

/** fixturePath returns the absolute path of a fixture's .wasm, building it if it is not cached. */
export function fixturePath(name: FixtureName): Promise<string> {
  return buildFixture(name);
}
