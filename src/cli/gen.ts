/**
 * `skiff gen [--check] [--root <dir>]`: writes the generated CRDs under `crds/`, or with
 * `--check` exits 1 and summarises every difference when the committed files are stale.
 */
import { parseArgs } from 'node:util';
import { checkFiles, renderFiles, writeFiles } from '../gen/index.js';

const USAGE = 'usage: skiff gen [--check] [--root <repository root>]\n';

/** run executes `skiff gen` and resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  let values: { check?: boolean; root?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        check: { type: 'boolean' },
        root: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`skiff gen: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const root = values.root ?? process.cwd();
  const files = renderFiles();
  if (values.check) {
    const drifts = await checkFiles(root, files);
    if (drifts.length === 0) {
      process.stdout.write(`skiff gen: ${files.size} generated file(s) up to date\n`);
      return 0;
    }
    const lines = drifts.map((d) => `  ${d.kind.padEnd(7)} ${d.path}: ${d.detail}`);
    process.stderr.write(
      `skiff gen --check: ${drifts.length} generated file(s) differ from src/api:\n${lines.join('\n')}\n` +
        'Run `npm run gen` and commit the result.\n',
    );
    return 1;
  }
  const changed = await writeFiles(root, files);
  process.stdout.write(
    changed.length === 0 ? `skiff gen: ${files.size} file(s) up to date\n` : `skiff gen: wrote ${changed.join(', ')}\n`,
  );
  return 0;
}
