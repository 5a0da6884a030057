/**
 * Runs the skiff CLI from source (through tsx) as a child process, the way a user runs it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const main = join(root, 'src', 'cli', 'main.ts');
const code = `const { main } = await import(${JSON.stringify(main)}); process.exitCode = await main(process.argv.slice(1));`;

/** CliRun is a running CLI process with its output so far. */
export interface CliRun {
  child: ChildProcess;
  output(): string;
  /** exited resolves with the exit code. */
  exited: Promise<number>;
  /** waitFor resolves once the output matches, or rejects after the deadline. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  stop(): Promise<number>;
}

/** runCli starts `skiff <args>` from source. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, ...args], {
    cwd: root,
    env: { ...process.env, SKIFF_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d) => {
    out += d.toString();
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  return {
    child,
    output: () => out,
    exited,
    async waitFor(pattern, ms = 60_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = out.match(pattern);
        if (m) return m;
        if (child.exitCode !== null) throw new Error(`skiff exited (${child.exitCode}) before ${pattern}: ${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${out}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
