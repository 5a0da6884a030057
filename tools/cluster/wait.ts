/**
 * Waiting during bring-up: errors that name the process, what it did not reach, and the
 * end of its log.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { logTail, type Managed } from '../testenv/process.js';
import { ClusterError } from './errors.js';

/** notReady turns waitUntil's outcome for `p` into a ClusterError with the tail of its log. */
export async function notReady(p: Managed, what: string, outcome: string): Promise<ClusterError> {
  const tail = await logTail(p, 30);
  if (outcome === 'timeout') {
    return new ClusterError(
      'SKIFF_CLUSTER_NOT_READY',
      `${p.name} not ${what} in time (raise SKIFF_CLUSTER_TIMEOUT_MS if the machine is busy); log ${p.logFile}:\n${tail}`,
    );
  }
  return new ClusterError('SKIFF_CLUSTER_EXITED', `${p.name} ${outcome} before ${what}; log ${p.logFile}:\n${tail}`);
}

/** exitedEarly returns a ClusterError for the first of `processes` that has exited, if any. */
export async function exitedEarly(processes: readonly Managed[]): Promise<ClusterError | undefined> {
  for (const p of processes) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      return notReady(p, 'stopped', `exited: ${p.child.signalCode ?? `code ${p.child.exitCode}`}`);
    }
  }
  return undefined;
}

/**
 * stopGracefully sends SIGTERM, waits up to `graceMs`, then SIGKILL; it resolves once the
 * process is gone and leaves no timer behind (a pending timer would keep vitest from exiting).
 */
export async function stopGracefully(p: Managed, graceMs = 10_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = new AbortController();
  const timeout = delay(graceMs, 'timeout', { signal: timer.signal }).catch(() => 'cancelled');
  const outcome = await Promise.race([p.exited, timeout]);
  timer.abort();
  if (outcome === 'timeout') {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}
