/**
 * Where worker-thread entry modules live and how to start them: built, they are `.js`
 * files beside their caller; under the test runner the sources are TypeScript and load
 * through tsx.
 */

/** threadModule resolves the entry module `name` beside `base` (an `import.meta.url`), with the caller's extension. */
export function threadModule(name: string, base: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

/** threadExecArgv is the execArgv a worker needs to load `entry` (tsx for TypeScript sources). */
export function threadExecArgv(entry: URL): string[] {
  return entry.pathname.endsWith('.ts') ? ['--import', 'tsx'] : [];
}
