/**
 * Running the machine's tools (ctr, iptables, ip, kubectl, buildah): bounded in time and
 * output, failures turned into ClusterErrors that carry the command's stderr.
 */
import { execFile } from 'node:child_process';
import { ClusterError } from './errors.js';

/** Output is what a finished command printed. */
export type Output = Readonly<{ code: number; stdout: string; stderr: string }>;

/** RunOptions bound a command in time and feed it stdin. */
export type RunOptions = Readonly<{ timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv }>;

/** tryRun runs `cmd` with `args` and resolves with its output, whatever its exit code (127 when it cannot start). */
export function tryRun(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<Output> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : err.code === 'ENOENT' ? 127 : 1) : 0;
        resolve({ code, stdout, stderr: err && !stderr ? err.message : stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** run runs `cmd` with `args` and resolves with its stdout; a non-zero exit throws SKIFF_CLUSTER_COMMAND. */
export async function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const out = await tryRun(cmd, args, options);
  if (out.code !== 0) {
    throw new ClusterError(
      'SKIFF_CLUSTER_COMMAND',
      `${cmd} ${args.join(' ')} failed (exit ${out.code}): ${out.stderr.trim().slice(-2_000)}`,
    );
  }
  return out.stdout;
}

/** which resolves whether `cmd` is on PATH. */
export async function which(cmd: string): Promise<boolean> {
  return (await tryRun('sh', ['-c', `command -v ${cmd}`])).code === 0;
}
