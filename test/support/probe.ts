/**
 * Probing test servers started as child processes: whether a line-protocol server on a
 * loopback port greets (or answers) with the line expected, and stopping a child for good.
 */
import type { ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';

/**
 * answersLine connects to 127.0.0.1:`port`, writes `send` if given, and resolves true once the
 * first line starts with `prefix` (false on a refusal, another line or a second's silence).
 */
export function answersLine(port: number, prefix: string, send?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let buf = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (b) => {
      buf += b.toString();
      if (buf.includes('\r\n')) done(buf.startsWith(prefix));
    });
    socket.connect(port, '127.0.0.1', () => {
      if (send !== undefined) socket.write(send);
    });
  });
}

/** stopChild signals `child` (SIGKILL after `graceMs` if it still runs) and waits for it to exit. */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 5_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
