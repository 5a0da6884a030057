/**
 * `skiff operator --nats URL [--kubeconfig PATH] [--namespace NS]…`: reconciles Workloads onto
 * hosts and writes status back. In a pod it uses its service account; outside, `--kubeconfig`
 * or KUBECONFIG. SIGTERM/SIGINT: stop leading, release the Lease, exit 0.
 */
import { dnsLabel } from '../api/index.js';
import { NatsIdentity, readOperatorSeed } from '../nats/accounts/index.js';
import { NATS_FLAGS, NATS_USAGE, natsSettings } from '../nats/config.js';
import { connectNats } from '../nats/connection.js';
import { loadOperatorEnv } from '../operator/config.js';
import { Kube } from '../operator/kube/index.js';
import { connectWith, OperatorAccounts } from '../operator/nats-accounts.js';
import { DEFAULT_OPERATOR_CONFIG, Operator, type OperatorConfig } from '../operator/operator.js';
import { createLogger } from '../telemetry/logger.js';
import { intFlag, type ParsedArgs, parseArgs, UsageError } from './args.js';
import { loadConfig } from './config.js';

const USAGE = `usage: skiff operator --nats URL [--kubeconfig PATH] [--namespace NS]...
                      [--lease-namespace NS] [--host-namespace NS] [--identity ID]
                      [--health-port 8081] [--metrics-port 9465] [--bind 0.0.0.0]
                      [--missed-heartbeats 3] [--resync-seconds 300]
                      [--host-image IMAGE] [--host-service-account SA] [--host-image-pull-policy P]
                      [--watch-secrets] [--nats-operator-seed FILE [--nats-user-ttl SECONDS]]
Watches every namespace unless --namespace is given (repeatable). The Lease and the Host
objects of hosts outside pods live in --lease-namespace / --host-namespace (default: the
pod's namespace, else skiff-system). Health: /healthz, /readyz; metrics: /metrics.
Host pods of a HostConfig that names no image or NATS use --host-image (default skiff:0.1.0;
the chart passes the operator's own image) and the operator's own --nats URL.
Secrets that Workloads name are polled with a metadata-only get every 10 s; --watch-secrets
watches them instead (instant, but the operator then needs list and watch on secrets).
--nats-operator-seed FILE turns on NATS account mode (ADR 0022): NATS runs in operator mode
with this operator key (an nkey seed SO…); every namespace gets an account of its own, pushed
before its first start, and hosts started with --nats-accounts get each namespace's user JWT
with its starts. The operator then connects with users derived from the key (the --nats-*
credentials are not used). --nats-user-ttl makes those JWTs expire (default: never) and sends
hosts newer ones at half their lifetime.
${NATS_USAGE}`;

/** run runs `skiff operator` until SIGINT/SIGTERM or a lost Lease; it resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  let config: OperatorConfig;
  let nats: NonNullable<ReturnType<typeof natsSettings>>;
  let userTtl = 0;
  const env = loadOperatorEnv();
  try {
    args = parseArgs(argv, {
      ...NATS_FLAGS,
      kubeconfig: true,
      namespace: true,
      'lease-namespace': true,
      'host-namespace': true,
      identity: true,
      'health-port': true,
      'metrics-port': true,
      bind: true,
      'missed-heartbeats': true,
      'resync-seconds': true,
      'host-image': true,
      'host-service-account': true,
      'host-image-pull-policy': true,
      'watch-secrets': false,
      'nats-operator-seed': true,
      'nats-user-ttl': true,
      help: false,
    });
    if (args.flags.has('help')) {
      process.stdout.write(USAGE);
      return 0;
    }
    const settings = natsSettings(args);
    if (!settings) throw new UsageError('--nats URL (or SKIFF_NATS_URL) is required');
    nats = settings;
    config = operatorConfig(args, env, settings.servers[0]!);
    userTtl = intFlag(args, 'nats-user-ttl', 0, 0, 30 * 86_400);
    if (userTtl > 0 && userTtl < 4) throw new UsageError('--nats-user-ttl must be 0 (never) or at least 4 seconds');
    if (userTtl > 0 && !args.flags.has('nats-operator-seed')) {
      throw new UsageError('--nats-user-ttl needs --nats-operator-seed');
    }
  } catch (err) {
    process.stderr.write(`skiff operator: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const logger = createLogger({ level: loadConfig().logLevel }).child({ operator: config.identity });
  let kube: Kube;
  try {
    kube = Kube.load({ kubeconfig: args.flags.get('kubeconfig')?.at(-1) ?? env.kubeconfig });
  } catch (err) {
    process.stderr.write(`skiff operator: cannot load Kubernetes credentials: ${(err as Error).message}\n`);
    return 1;
  }
  let nc: Awaited<ReturnType<typeof connectNats>>;
  let accounts: OperatorAccounts | undefined;
  try {
    const seedFile = args.flags.get('nats-operator-seed')?.at(-1);
    const name = `skiff-operator ${config.identity}`;
    if (seedFile) {
      const identity = new NatsIdentity(await readOperatorSeed(seedFile));
      const userTtlSeconds = userTtl || undefined;
      accounts = new OperatorAccounts({ identity, settings: nats, logger, userTtlSeconds });
      nc = await connectWith(nats, await identity.operatorControlUser(), name, logger);
    } else nc = await connectNats(nats, { name, logger });
  } catch (err) {
    process.stderr.write(`skiff operator: ${(err as Error).message}\n`);
    return 1;
  }
  const operator = new Operator(config, { kube, nc, logger, accounts });
  try {
    await operator.start();
  } catch (err) {
    process.stderr.write(`skiff operator: cannot start: ${(err as Error).message}\n`);
    await operator.stop().catch(() => undefined);
    await accounts?.close();
    await nc.close();
    return 1;
  }
  const ports = operator.ports();
  process.stderr.write(
    `skiff operator: ${config.identity} started; health port ${ports.health}, metrics port ${ports.metrics}\n`,
  );
  const outcome = await new Promise<'signal' | 'lost'>((resolve) => {
    process.once('SIGINT', () => resolve('signal'));
    process.once('SIGTERM', () => resolve('signal'));
    void operator.lost.then(() => resolve('lost'));
  });
  logger.info({ outcome }, 'shutting down');
  await operator.stop();
  await accounts?.close();
  await nc.drain().catch(() => undefined);
  // A lost Lease ends the process (like client-go): a fresh start rebuilds every cache.
  return outcome === 'lost' ? 1 : 0;
}

function operatorConfig(args: ParsedArgs, env: ReturnType<typeof loadOperatorEnv>, natsUrl: string): OperatorConfig {
  const ns = (flag: string, fallback: string): string => {
    const value = args.flags.get(flag)?.at(-1) ?? fallback;
    if (!dnsLabel.safeParse(value).success)
      throw new UsageError(`--${flag} ${JSON.stringify(value)} is not a namespace name`);
    return value;
  };
  const namespaces = args.flags.get('namespace') ?? [];
  for (const n of namespaces) {
    if (!dnsLabel.safeParse(n).success)
      throw new UsageError(`--namespace ${JSON.stringify(n)} is not a namespace name`);
  }
  const home = env.podNamespace ?? DEFAULT_OPERATOR_CONFIG.leaseNamespace;
  const leaseNamespace = ns('lease-namespace', home);
  return Object.freeze({
    ...DEFAULT_OPERATOR_CONFIG,
    namespaces,
    leaseNamespace,
    hostNamespace: ns('host-namespace', leaseNamespace),
    identity: args.flags.get('identity')?.at(-1) ?? env.identity,
    healthPort: intFlag(args, 'health-port', DEFAULT_OPERATOR_CONFIG.healthPort, 0, 65535),
    metricsPort: intFlag(args, 'metrics-port', DEFAULT_OPERATOR_CONFIG.metricsPort, 0, 65535),
    bind: args.flags.get('bind')?.at(-1) ?? DEFAULT_OPERATOR_CONFIG.bind,
    missedHeartbeats: intFlag(args, 'missed-heartbeats', 3, 1, 100),
    resyncMs: intFlag(args, 'resync-seconds', 300, 1, 86_400) * 1000,
    hostImage: args.flags.get('host-image')?.at(-1) ?? env.hostImage ?? DEFAULT_OPERATOR_CONFIG.hostImage,
    natsUrl,
    hostServiceAccount: args.flags.get('host-service-account')?.at(-1),
    hostImagePullPolicy: pullPolicy(args.flags.get('host-image-pull-policy')?.at(-1)),
    watchSecrets: args.flags.has('watch-secrets'),
  });
}

function pullPolicy(value: string | undefined): string | undefined {
  if (value === undefined || ['Always', 'IfNotPresent', 'Never'].includes(value)) return value;
  throw new UsageError(`--host-image-pull-policy must be Always, IfNotPresent or Never (got ${JSON.stringify(value)})`);
}
