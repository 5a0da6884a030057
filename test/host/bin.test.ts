/**
 * `bin/skiff.js` started by a Node older than 24 re-runs itself under the Node 24 the
 * package installs. Signals sent to the pid the user started reach the real process, and
 * its exit code (or the signal that ended it) comes back. Runs the built CLI (dist/).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'skiff.js');

/** oldNode finds a node binary older than 24 on the machine (Debian's), the case bin/skiff.js re-executes for. */
function oldNode(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').filter((d) => !d.includes('node_modules'));
  for (const dir of [...dirs, '/usr/bin', '/usr/local/bin']) {
    const candidate = join(dir, 'node');
    if (!existsSync(candidate)) continue;
    try {
      const major = Number(execFileSync(candidate, ['-p', 'process.versions.node.split(".")[0]']).toString().trim());
      if (major < 24) return candidate;
    } catch {}
  }
  return undefined;
}

const node = oldNode();

function start(args: string[]) {
  const child = spawn(node!, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => out };
}


/** childrenOf lists the pids of a process's children (Linux /proc). */
function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(/\s+/).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function serving(args: string[]) {
  const run = start(['dev', await fixturePath('hello-js'), '--port', '0', '--metrics-port', '0', '--no-watch', ...args]);
  const url = await waitFor('skiff dev to serve', () => run.output().match(/serving .* on (http:\S+)/)?.[1], 60_000);
  const [real] = childrenOf(run.child.pid!);
  expect(real, 'the Node 24 process bin/skiff.js started').toBeDefined();
  return { run, url, real: real! };
}

describe.skipIf(node === undefined)(`bin/skiff.js under an older node (${node ?? 'none found'})`, () => {
  it('forwards SIGTERM: the real host drains and exits, and its exit code comes back', async () => {
    const { run, url, real } = await serving([]);
    expect((await fetch(url)).status).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    await waitFor('the Node 24 process to exit', () => (alive(real) ? undefined : true), 10_000);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('ends with the signal that ended the real process', async () => {
    const { run, real } = await serving([]);
    process.kill(real, 'SIGKILL');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('passes the exit code through', async () => {
    const run = start(['dev', '--port', 'x', 'a.yaml']);
    expect(await run.exited).toEqual({ code: 2, signal: null });
    expect(run.output()).toMatch(/--port must be an integer/);
  });
});
