#!/usr/bin/env node
// The skiff executable. Skiff needs Node >= 24 (JSPI); when started by an older node it
// re-runs itself with the Node 24 binary the package installs from the npm registry.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** FORWARDED are the signals passed on to the real process when this one only re-runs it. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const require = createRequire(import.meta.url);
  let node;
  try {
    node = join(dirname(require.resolve('node/package.json')), 'bin', 'node');
  } catch {
    process.stderr.write(`skiff: needs Node >= 24 (found ${process.versions.node}); run npm install first\n`);
    process.exit(1);
  }
  await runUnder(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)]);
}

/**
 * runUnder runs the CLI under another node and mirrors it: signals sent to this process are
 * passed on (a pod's SIGTERM must reach the real host so it drains), and this process ends
 * the way the child did, with its exit code or by the same signal. The child gets its own
 * process group, so a terminal's Ctrl-C reaches it once, through here, not twice.
 */
function runUnder(node, args) {
  const child = spawn(node, args, { stdio: 'inherit', detached: true });
  const forward = (signal) => child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  return new Promise(() => {
    child.on('error', (err) => {
      process.stderr.write(`skiff: cannot start ${node}: ${err.message}\n`);
      process.exit(1);
    });
    child.on('exit', (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward);
      if (signal) {
        process.kill(process.pid, signal);
        process.exit(128 + (constants.signals[signal] ?? 0)); // only if that signal does not end a process
      }
      process.exit(code ?? 1);
    });
  });
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('skiff: dist/ is missing; run `npm install` (or `npm run build`) first\n');
  process.exit(1);
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
