/**
 * `npm run cluster`: brings the e2e cluster up, prints `KUBECONFIG=…`, `BIN_DIR=…` and
 * `REGISTRY=…`, and stays in the foreground until interrupted; then it tears everything
 * down and exits non-zero if anything was left behind.
 */
import { startCluster } from './cluster.js';
import { loadClusterConfig } from './config.js';

const log = (line: string) => process.stderr.write(`${line}\n`);
const cluster = await startCluster(loadClusterConfig(), log).catch((err: Error) => {
  log(`cluster: ${err.message}`);
  process.exit(1);
});
process.stdout.write(`KUBECONFIG=${cluster.kubeconfig}\nBIN_DIR=${cluster.binDir}\nREGISTRY=${cluster.registry}\n`);
log(`cluster: up; logs in ${cluster.stateDir}; NATS at ${cluster.natsUrl} from pods; Ctrl-C to stop`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log(`cluster: ${signal}, tearing down`);
  const left = await cluster.stop();
  if (left.length > 0) log(`cluster: left behind:\n  ${left.join('\n  ')}`);
  else log('cluster: torn down, nothing left');
  process.exit(left.length > 0 ? 1 : 0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGHUP', () => void stop('SIGHUP'));
