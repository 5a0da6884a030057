/**
 * Child processes of the test environment: started with their output in a log file,
 * stopped with SIGTERM then SIGKILL, and watched so a crash is reported at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/** Managed is one running child process and the file its output goes to. */
export type Managed = {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<string>;
};

/** startProcess spawns `binary` with `args`, writing stdout and stderr to `logFile`. */
export function startProcess(name: string, binary: string, args: string[], logFile: string): Managed {
  const log = createWriteStream(logFile);
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`spawn error: ${err.message}`));
    child.once('exit', (code, signal) => {
      log.end();
      resolve(signal ?? `code ${code}`);
    });
  });
  return { name, child, logFile, exited };
}

/** logTail returns the last `lines` lines of a process's log. */
export async function logTail(p: Managed, lines = 25): Promise<string> {
  const text = await readFile(p.logFile, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** stopProcess sends SIGTERM, waits up to `graceMs`, then SIGKILL; it resolves once the process is gone. */
export async function stopProcess(p: Managed, graceMs = 10_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = delay(graceMs, 'timeout');
  if ((await Promise.race([p.exited, timer])) === 'timeout') {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

/**
 * waitUntil polls `check` every `intervalMs` until it returns true, `p` exits, or the
 * deadline passes. It resolves with 'ready', 'exited: <how>' or 'timeout'.
 */
export async function waitUntil(
  p: Managed,
  check: () => Promise<boolean>,
  deadline: number,
  intervalMs = 250,
): Promise<string> {
  let exit: string | undefined;
  void p.exited.then((how) => {
    exit = how;
  });
  while (Date.now() < deadline) {
    if (exit !== undefined) return `exited: ${exit}`;
    if (await check().catch(() => false)) return 'ready';
    if (exit !== undefined) return `exited: ${exit}`;
    await delay(intervalMs);
  }
  return 'timeout';
}
