/**
 * Writing generated files to disk, and comparing them with what is committed
 * (`skiff gen --check`).
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** GENERATED_DIRS are the folders that hold nothing but generated files. */
export const GENERATED_DIRS = ['crds', 'charts/skiff/crds'] as const;

/** Drift is one difference between the generated files and the files on disk. */
export type Drift = { path: string; kind: 'missing' | 'changed' | 'stale'; detail: string };

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function existingFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const dir of GENERATED_DIRS) {
    let names: string[] = [];
    try {
      names = await readdir(join(root, dir));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const name of names) if (name.endsWith('.yaml')) out.push(`${dir}/${name}`);
  }
  return out.sort();
}

/** describeChange summarises how `actual` differs from `expected`: line counts and the first differing line. */
export function describeChange(expected: string, actual: string): string {
  const want = expected.split('\n');
  const have = actual.split('\n');
  let line = 0;
  while (line < want.length && line < have.length && want[line] === have[line]) line++;
  const wantSet = new Set(want);
  const haveSet = new Set(have);
  const added = have.filter((l) => !wantSet.has(l)).length;
  const removed = want.filter((l) => !haveSet.has(l)).length;
  const first = `line ${line + 1}: expected ${JSON.stringify(want[line] ?? '<end of file>')}, found ${JSON.stringify(have[line] ?? '<end of file>')}`;
  return `${removed} line(s) missing, ${added} line(s) not generated; first difference at ${first}`;
}

/** checkFiles compares `files` (path → content) with the tree under `root` and lists every drift. */
export async function checkFiles(root: string, files: ReadonlyMap<string, string>): Promise<Drift[]> {
  const drifts: Drift[] = [];
  for (const [path, content] of files) {
    const actual = await readOrUndefined(join(root, path));
    if (actual === undefined) drifts.push({ path, kind: 'missing', detail: 'not committed' });
    else if (actual !== content) drifts.push({ path, kind: 'changed', detail: describeChange(content, actual) });
  }
  for (const path of await existingFiles(root)) {
    if (!files.has(path)) drifts.push({ path, kind: 'stale', detail: 'no longer generated; delete it' });
  }
  return drifts;
}

/** writeFiles writes `files` under `root` and deletes stale generated files; it returns the paths it changed. */
export async function writeFiles(root: string, files: ReadonlyMap<string, string>): Promise<string[]> {
  const changed: string[] = [];
  for (const drift of await checkFiles(root, files)) {
    const target = join(root, drift.path);
    if (drift.kind === 'stale') {
      await rm(target);
    } else {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, files.get(drift.path) as string);
    }
    changed.push(drift.path);
  }
  return changed;
}
