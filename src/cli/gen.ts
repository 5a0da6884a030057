/**
 * `skiff gen [--check] [--root <dir>] [--helm <path>]`: writes the generated files (CRDs under
 * `crds/`, the chart's CRDs and values schema, and with `--helm` also `deploy/skiff.yaml`
 * rendered from the chart), or with `--check` exits 1 and summarises every difference when
 * the committed files are stale.
 */
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkFiles, DEPLOY_FILE, describeChange, renderDeploy, renderFiles, writeFiles } from '../gen/index.js';

const USAGE = 'usage: skiff gen [--check] [--root <repository root>] [--helm <path of the helm binary>]\n';

/** run executes `skiff gen` and resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  let values: { check?: boolean; root?: string; helm?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        check: { type: 'boolean' },
        root: { type: 'string' },
        helm: { type: 'string' },
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
    let count = files.size;
    if (values.helm) {
      // The chart on disk is rendered: a stale chart file is reported above, and its effect here.
      const drift = await deployDrift(values.helm, root);
      if (drift instanceof Error) return fail(drift);
      if (drift) drifts.push(drift);
      count++;
    }
    const skipped = values.helm ? '' : ` (${DEPLOY_FILE} not checked: no --helm)`;
    if (drifts.length === 0) {
      process.stdout.write(`skiff gen: ${count} generated file(s) up to date${skipped}\n`);
      return 0;
    }
    const lines = drifts.map((d) => `  ${d.kind.padEnd(7)} ${d.path}: ${d.detail}`);
    process.stderr.write(
      `skiff gen --check: ${drifts.length} generated file(s) differ from their sources${skipped}:\n${lines.join('\n')}\n` +
        'Run `npm run gen` and commit the result.\n',
    );
    return 1;
  }
  const changed = await writeFiles(root, files);
  if (values.helm) {
    const drift = await deployDrift(values.helm, root);
    if (drift instanceof Error) return fail(drift);
    if (drift) {
      await writeFile(join(root, DEPLOY_FILE), drift.content);
      changed.push(DEPLOY_FILE);
    }
  } else {
    process.stdout.write(`skiff gen: ${DEPLOY_FILE} not rendered (pass --helm PATH)\n`);
  }
  process.stdout.write(
    changed.length === 0 ? `skiff gen: ${files.size} file(s) up to date\n` : `skiff gen: wrote ${changed.join(', ')}\n`,
  );
  return 0;
}

type DeployDrift = { path: string; kind: 'missing' | 'changed'; detail: string; content: string };

async function deployDrift(helm: string, root: string): Promise<DeployDrift | Error | undefined> {
  let content: string;
  try {
    await access(helm).catch(() => {
      throw new Error(`no helm at ${helm} (bash tools/k8s/build.sh builds it)`);
    });
    content = await renderDeploy(helm, root);
  } catch (err) {
    return err as Error;
  }
  const actual = await readFile(join(root, DEPLOY_FILE), 'utf8').catch(() => undefined);
  if (actual === undefined) return { path: DEPLOY_FILE, kind: 'missing', detail: 'not committed', content };
  if (actual === content) return undefined;
  return { path: DEPLOY_FILE, kind: 'changed', detail: describeChange(content, actual), content };
}

function fail(err: Error): number {
  process.stderr.write(`skiff gen: cannot render ${DEPLOY_FILE}: ${err.message}\n`);
  return 1;
}
