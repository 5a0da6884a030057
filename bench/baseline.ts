/**
 * A baseline build for before/after comparisons in one run: the sources of a git ref
 * (`BENCH_BASELINE`, e.g. `main`) exported with `git archive`, compiled with this checkout's
 * TypeScript and node_modules, cached outside the checkout by commit.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { node, root } from './support.js';

/** Baseline is a compiled older version of Skiff. */
export interface Baseline {
  /** label names it in tables: `ref@shortsha`. */
  readonly label: string;
  /** skiff is the path of its bin/skiff.js. */
  readonly skiff: string;
}

/** buildBaseline exports and compiles `ref` (once per commit) and returns where its CLI is. */
export function buildBaseline(ref: string): Baseline {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
  const label = `${ref}@${sha.slice(0, 8)}`;
  const cache = join(process.env.SKIFF_CACHE ?? join(homedir(), '.cache', 'skiff'), 'bench-baseline');
  const dir = join(cache, sha);
  const skiff = join(dir, 'bin', 'skiff.js');
  if (existsSync(join(dir, 'dist', 'src', 'cli', 'main.js'))) return { label, skiff };
  process.stderr.write(`building the baseline ${label}\n`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const archive = execFileSync(
    'git',
    ['archive', '--format=tar', sha, 'bin', 'src', 'wit', 'package.json', 'tsconfig.json', 'tsconfig.build.json'],
    {
      cwd: root,
      maxBuffer: 256 << 20,
    },
  );
  execFileSync('tar', ['-x', '-C', tmp], { input: archive });
  symlinkSync(join(root, 'node_modules'), join(tmp, 'node_modules'));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  // Type errors elsewhere in that tree do not stop tsc from emitting; a missing CLI does.
  spawnSync(node, [tsc, '-p', 'tsconfig.build.json'], { cwd: tmp, stdio: 'ignore' });
  if (!existsSync(join(tmp, 'dist', 'src', 'cli', 'main.js'))) throw new Error(`the baseline ${label} did not compile`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { label, skiff };
}
