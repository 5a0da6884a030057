/**
 * `npm run testenv`: starts etcd + kube-apiserver, prints `KUBECONFIG=<path>` and
 * `BIN_DIR=<dir>` once ready, and stays in the foreground until interrupted.
 */
import { loadTestEnvConfig } from './config.js';
import { startTestEnv } from './env.js';

const env = await startTestEnv(loadTestEnvConfig()).catch((err: Error) => {
  process.stderr.write(`testenv: ${err.message}\n`);
  process.exit(1);
});
process.stdout.write(`KUBECONFIG=${env.kubeconfig}\nBIN_DIR=${env.binDir}\n`);
process.stderr.write(`testenv: API server ${env.credentials.server} ready; logs in ${env.dir}; Ctrl-C to stop\n`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`testenv: ${signal}, stopping\n`);
  await env.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGHUP', () => void stop('SIGHUP'));
