/**
 * `skiff host --nats URL [--name N] [--label k=v]… [--port P]`: a long-running host. It serves
 * HTTP for its workloads by Host header, exposes /metrics, heartbeats over NATS and answers
 * start / stop / status / cordon requests until SIGTERM or SIGINT. Capabilities use the NATS
 * backends unless the backend flags say otherwise; `--disable-plugin` switches one off (http:
 * no HTTP server). In a pod, `--pod-*` flags (or SKIFF_POD_* from the downward API) name it.
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { HOST_ID_PATTERN, type PodIdentity, podIdentitySchema, REGISTRY_HOST_PATTERN } from '../api/index.js';
import { NamespaceConnections, NamespaceCredentials } from '../nats/accounts/index.js';
import { NATS_FLAGS, NATS_USAGE, natsSettings } from '../nats/config.js';
import { connectNats } from '../nats/connection.js';
import { HostControl } from '../runtime/control/index.js';
import { natsTranspileStore } from '../runtime/engine/shared-store.js';
import { HostBuilder } from '../runtime/host.js';
import { AdminHandler } from '../runtime/http/admin.js';
import { VirtualHostRouter } from '../runtime/http/routers.js';
import { HttpServerHandler } from '../runtime/http/server.js';
import { ociSource } from '../runtime/oci/index.js';
import { accountPlugins, hostPlugins } from '../runtime/plugins/index.js';
import { createLogger } from '../telemetry/logger.js';
import type { TracingSettings } from '../telemetry/tracing/config.js';
import { mainPluginTracer } from '../telemetry/tracing/plugin-tracer.js';
import { createTracing } from '../telemetry/tracing/provider.js';
import { tracedNats } from '../runtime/plugins/traced-nats.js';
import { intFlag, type ParsedArgs, parseArgs, UsageError } from './args.js';
import { BACKEND_FLAGS, BACKEND_USAGE, type BackendFlags, backendFlags } from './backends.js';
import { loadConfig, loadTracing, type PodEnv } from './config.js';

const USAGE = `usage: skiff host --nats URL [--name ID] [--label k=v]... [--port 8080] [--bind 0.0.0.0]
                  [--metrics-port 9464] [--heartbeat-seconds 1] [--max-workloads 100]
                  [--idle-seconds 60] [--max-threads N] [--transpile-key-file FILE]
                  [--pod-namespace NS --pod-name NAME --pod-uid UID --pod-ip IP] [--allow-file-images DIR]...
                  [--namespaces NS[,NS]...] [--data-dir DIR] [--redis URL]
                  [--keyvalue-backend T] [--blobstore-backend T] [--config-backend T]
                  [--logging-backend T] [--messaging-backend T] [--disable-plugin NAME]...
                  [--insecure-registry HOST[:PORT]]... [--nats-accounts]
  --bind ADDR              listen on ADDR; default 0.0.0.0, every interface (right in a pod; on a
                           machine of your own, --bind 127.0.0.1 keeps the host private); the
                           metrics port listens there too
  --idle-seconds N         an unused workload keeps its instances this long; a thread with
                           nothing left in it exits after as long (default 60)
  --max-threads N          workload threads at most (default four per CPU, at least eight); a
                           thread runs one component at a time
  --transpile-key-file F   share transpiled components with the other hosts through NATS (Object
                           Store skiff-transpiled), signed with the secret in F (at least 32
                           bytes, the same on every host); a host starting a component another
                           host transpiled takes that output instead of running jco
  --namespaces NS,...      run only workloads of these namespaces (repeatable); others are refused
                           with SKIFF_NAMESPACE_NOT_SERVED. Default: every namespace
  --insecure-registry R    pull from registry R (host or host:port, as image references name it)
                           over plain HTTP (repeatable); every other registry is HTTPS only
                           (loopback registries excepted)
  --nats-accounts          NATS runs in operator mode with an account per namespace (ADR 0022): the
                           host makes a user key of its own, announces it in heartbeats and runs
                           each workload's capabilities with the JWT its start brought for that
                           namespace; the --nats-* credentials are the host's control user
  --allow-file-images DIR  run file:// images found below DIR (repeatable); without it the host
                           refuses file:// images, since start requests come from the network
  --pod-*                  the pod the host runs in (default: SKIFF_POD_NAMESPACE, SKIFF_POD_NAME,
                           SKIFF_POD_UID, SKIFF_POD_IP, e.g. from the downward API); all four
                           together, or --pod-name alone
${BACKEND_USAGE}${NATS_USAGE}`;

/** HTTP_INTERFACE is what a host with an HTTP server provides: wasi:http's incoming handler, any 0.2.x. */
export const HTTP_INTERFACE = 'wasi:http/incoming-handler@0.2.0';

/** parseLabels reads repeated `--label k=v` flags. */
export function parseLabels(values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--label ${JSON.stringify(v)} must be key=value`);
    labels[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return labels;
}

/** parseNamespaces reads repeated, comma-separated `--namespaces` flags; undefined (every namespace) when none. */
export function parseNamespaces(values: readonly string[] | undefined): string[] | undefined {
  if (!values || values.length === 0) return undefined;
  const names = values.flatMap((v) => v.split(',')).map((n) => n.trim());
  for (const n of names) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n) || n.length > 63) {
      throw new UsageError(`--namespaces: ${JSON.stringify(n)} is not a namespace name`);
    }
  }
  return [...new Set(names)].sort();
}

/** parseInsecureRegistries reads repeated `--insecure-registry HOST[:PORT]` flags (host names lower-cased). */
export function parseInsecureRegistries(values: readonly string[] | undefined): string[] {
  const registries = (values ?? []).map((v) => v.trim().toLowerCase());
  for (const r of registries) {
    if (!REGISTRY_HOST_PATTERN.test(r)) {
      throw new UsageError(`--insecure-registry ${JSON.stringify(r)} must be a registry host or host:port`);
    }
  }
  return [...new Set(registries)].sort();
}

/** defaultHostId derives a host id from the machine name (the pod name in Kubernetes). */
export function defaultHostId(name = hostname()): string {
  const id = name
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, 128);
  return id || 'host';
}

/**
 * podIdentity reads the pod a host runs in from `--pod-*` flags (winning) and SKIFF_POD_*:
 * all of namespace, name, uid and ip give `pod`; a name alone gives only `podName`.
 */
export function podIdentity(
  flags: ReadonlyMap<string, readonly string[]>,
  env: PodEnv = {},
): { podName?: string; pod?: PodIdentity } {
  const get = (k: keyof PodEnv) => flags.get(`pod-${k}`)?.at(-1) ?? env[k];
  const raw = { namespace: get('namespace'), name: get('name'), uid: get('uid'), ip: get('ip') };
  if (raw.namespace === undefined && raw.uid === undefined && raw.ip === undefined) {
    return raw.name === undefined ? {} : { podName: raw.name };
  }
  const missing = (Object.keys(raw) as (keyof PodEnv)[]).filter((k) => raw[k] === undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `--pod-namespace, --pod-name, --pod-uid and --pod-ip go together; missing ${missing.map((k) => `--pod-${k}`).join(', ')}`,
    );
  }
  const parsed = podIdentitySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`--pod-${String(issue.path[0])}: ${issue.message}`);
  }
  return { podName: parsed.data.name, pod: parsed.data };
}

/** run runs `skiff host` until SIGINT/SIGTERM; it resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  let options: ReturnType<typeof hostOptions>;
  let config: ReturnType<typeof loadConfig>;
  let tracingConfig: TracingSettings | undefined;
  let backends: BackendFlags;
  try {
    args = parseArgs(argv, {
      ...NATS_FLAGS,
      name: true,
      label: true,
      port: true,
      bind: true,
      'metrics-port': true,
      'heartbeat-seconds': true,
      'max-workloads': true,
      'idle-seconds': true,
      'max-threads': true,
      'transpile-key-file': true,
      'pod-namespace': true,
      'pod-name': true,
      'pod-uid': true,
      'pod-ip': true,
      'allow-file-images': true,
      namespaces: true,
      ...BACKEND_FLAGS,
      'insecure-registry': true,
      'nats-accounts': false,
      help: false,
    });
    if (args.flags.has('help')) {
      process.stdout.write(USAGE);
      return 0;
    }
    config = loadConfig();
    tracingConfig = loadTracing('skiff-host');
    options = hostOptions(args, config.pod);
    backends = backendFlags(args, config.redisUrl);
    if (options.natsAccounts) refuseBackendsWithAccounts(backends);
  } catch (err) {
    process.stderr.write(`skiff host: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const logger = createLogger({ level: config.logLevel }).child({ host: options.id });

  let nc: Awaited<ReturnType<typeof connectNats>>;
  try {
    nc = await connectNats(options.nats, { name: `skiff-host ${options.id}`, logger });
  } catch (err) {
    process.stderr.write(`skiff host: ${(err as Error).message}\n`);
    return 1;
  }
  let shared: { store: ReturnType<typeof natsTranspileStore>; secret: Uint8Array } | undefined;
  if (options.transpileKeyFile) {
    try {
      shared = { store: natsTranspileStore(nc), secret: await transpileSecret(options.transpileKeyFile) };
    } catch (err) {
      process.stderr.write(`skiff host: --transpile-key-file: ${(err as Error).message}\n`);
      await nc.close();
      return 2;
    }
  }
  const http = backends.httpDisabled
    ? undefined
    : new HttpServerHandler({ port: options.port, hostname: options.bind, router: new VirtualHostRouter() });
  const builder = new HostBuilder()
    .withId(options.id)
    .withLogger(logger)
    .withEngine({ cacheDir: config.cacheDir, shared })
    .withSource(ociSource({ cacheDir: config.cacheDir, logger, insecure: options.insecureRegistries }))
    .withFileImageRoots(options.fileImageRoots)
    .withThreads(options.threads);
  if (http) builder.withHttpHandler(http);
  // OTEL_EXPORTER_OTLP_ENDPOINT (and friends) turn on a span per request, exported over OTLP/HTTP.
  const tracing = tracingConfig && createTracing(tracingConfig, { logger });
  builder.withTracing(tracing);
  if (config.workDir) builder.withWorkDir(config.workDir);
  if (config.secretDir) builder.withSecretDir(config.secretDir);
  // Workload threads open connections of their own for keyvalue and blobstore (ADR 0006).
  const threads = { settings: options.nats, name: `skiff-host ${options.id} thread` };
  // Traced, the plugins' NATS requests are spans and carry traceparent headers.
  const pluginNc = tracing ? tracedNats(nc, mainPluginTracer(tracing)) : nc;
  // In account mode every namespace's capabilities run on that namespace's account (ADR 0022).
  const accounts = options.natsAccounts
    ? new NamespaceConnections({
        settings: options.nats,
        credentials: new NamespaceCredentials(),
        name: `skiff-host ${options.id}`,
        logger,
      })
    : undefined;
  try {
    const plugins = accounts
      ? accountPlugins(accounts, { threads }).filter((p) => !(backends.disabled as readonly string[]).includes(p.id))
      : hostPlugins({
          ...backends,
          nats: { nc: pluginNc, options: { threads } },
          onBackendError: (backend, err) => logger.warn({ backend, err: err.message }, 'backend connection error'),
        });
    for (const plugin of plugins) builder.withPlugin(plugin);
  } catch (err) {
    process.stderr.write(`skiff host: ${(err as Error).message}\n`);
    await nc.close();
    return 2;
  }
  const admin =
    options.metricsPort !== 0 ? new AdminHandler({ port: options.metricsPort, hostname: options.bind }) : undefined;
  if (admin) builder.withHttpHandler(admin);
  const host = builder.build();
  let control: HostControl | undefined;
  try {
    await host.start();
    // Built once the HTTP server listens, so heartbeats carry its port.
    control = new HostControl({
      nc,
      host,
      logger,
      heartbeatSeconds: options.heartbeatSeconds,
      labels: options.labels,
      podName: options.podName,
      pod: options.pod,
      httpPort: http?.port,
      maxWorkloads: options.maxWorkloads,
      namespaces: options.namespaces,
      accounts,
      extraInterfaces: http ? [HTTP_INTERFACE] : [],
    });
    await control.start();
  } catch (err) {
    process.stderr.write(`skiff host: cannot start: ${(err as Error).message}\n`);
    await host.stop().catch(() => undefined);
    await tracing?.shutdown().catch(() => undefined);
    await nc.close();
    return 1;
  }
  process.stderr.write(
    `skiff host: ${options.id} ready; http port ${http?.port ?? 'none'}${admin ? `, metrics port ${admin.port}` : ''}\n`,
  );

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.info('shutting down');
  await control.stop();
  await host.stop();
  await accounts?.close();
  await tracing?.shutdown().catch(() => undefined);
  await nc.drain().catch(() => undefined);
  return 0;
}

function hostOptions(args: ParsedArgs, podEnv: PodEnv) {
  const nats = natsSettings(args);
  if (!nats) throw new UsageError('--nats URL (or SKIFF_NATS_URL) is required');
  const id = args.flags.get('name')?.at(-1) ?? defaultHostId();
  if (!HOST_ID_PATTERN.test(id))
    throw new UsageError(`--name ${JSON.stringify(id)} must be letters, digits, "-" or "_"`);
  const heartbeat = Number(args.flags.get('heartbeat-seconds')?.at(-1) ?? '1');
  if (!(heartbeat > 0 && heartbeat <= 3600))
    throw new UsageError('--heartbeat-seconds must be a number from 0 to 3600');
  return {
    nats,
    id,
    labels: parseLabels(args.flags.get('label') ?? []),
    port: intFlag(args, 'port', 8080, 0, 65535),
    bind: args.flags.get('bind')?.at(-1) ?? '0.0.0.0',
    metricsPort: intFlag(args, 'metrics-port', 9464, 0, 65535),
    heartbeatSeconds: heartbeat,
    maxWorkloads: intFlag(args, 'max-workloads', 100, 1, 100_000),
    threads: {
      idleTimeoutMs: intFlag(args, 'idle-seconds', 60, 1, 86_400) * 1000,
      maxThreads: args.flags.has('max-threads') ? intFlag(args, 'max-threads', 8, 1, 1024) : undefined,
    },
    ...podIdentity(args.flags, podEnv),
    fileImageRoots: args.flags.get('allow-file-images') ?? [],
    transpileKeyFile: args.flags.get('transpile-key-file')?.at(-1),
    namespaces: parseNamespaces(args.flags.get('namespaces')),
    insecureRegistries: parseInsecureRegistries(args.flags.get('insecure-registry')),
    natsAccounts: accountMode(args),
  };
}

/** accountMode reads --nats-accounts; the shared transpile store needs JetStream a host's control user lacks (ADR 0022). */
function accountMode(args: ParsedArgs): boolean {
  const on = args.flags.has('nats-accounts');
  if (on && args.flags.has('transpile-key-file')) {
    throw new UsageError('--transpile-key-file does not work with --nats-accounts yet (ADR 0022)');
  }
  return on;
}

/**
 * refuseBackendsWithAccounts: in account mode every capability is served from its namespace's
 * NATS account; other backends would hold every namespace's data under one identity.
 * Capabilities may still be switched off.
 */
function refuseBackendsWithAccounts(b: BackendFlags): void {
  const chosen = Object.entries({
    'data-dir': b.dataDir,
    redis: b.redisUrl,
    'keyvalue-backend': b.keyvalue,
    'blobstore-backend': b.blobstore,
    'config-backend': b.config,
    'logging-backend': b.logging,
    'messaging-backend': b.messaging,
  }).filter(([, v]) => v !== undefined && v !== 'nats');
  if (chosen.length > 0) {
    const flags = chosen.map(([k]) => `--${k}`).join(', ');
    throw new UsageError(
      `${flags} cannot be combined with --nats-accounts: each namespace's capabilities run on its own NATS account (ADR 0022)`,
    );
  }
}

/** MIN_SECRET_BYTES is the shortest secret a host accepts for signing shared transpiles. */
const MIN_SECRET_BYTES = 32;

/** transpileSecret reads the shared signing secret (a trailing newline is not part of it). */
async function transpileSecret(file: string): Promise<Uint8Array> {
  let bytes = new Uint8Array(await readFile(file));
  while (bytes.length > 0 && (bytes.at(-1) === 0x0a || bytes.at(-1) === 0x0d)) bytes = bytes.subarray(0, -1);
  if (bytes.length < MIN_SECRET_BYTES) throw new Error(`the secret must be at least ${MIN_SECRET_BYTES} bytes`);
  return bytes;
}
