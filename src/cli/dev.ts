/**
 * `skiff dev FILE [--port N] [--metrics-port N] [--no-watch] [--secrets SECRETS.yaml]`: run one
 * Workload manifest (or a bare .wasm) on a local host with in-memory capabilities (or NATS with
 * `--nats`, or state kept under `--data-dir` across restarts), reloading on change; the Secrets
 * it names come from the `--secrets` files (Kubernetes Secret documents).
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ManifestError } from '../api/index.js';
import { NATS_FLAGS, natsSettings } from '../nats/config.js';
import { connectNats } from '../nats/connection.js';
import { HostBuilder } from '../runtime/host.js';
import { AdminHandler } from '../runtime/http/admin.js';
import { DevRouter } from '../runtime/http/routers.js';
import { HttpServerHandler } from '../runtime/http/server.js';
import { ociSource } from '../runtime/oci/index.js';
import { hostPlugins } from '../runtime/plugins/index.js';
import { createLogger } from '../telemetry/logger.js';
import type { TracingSettings } from '../telemetry/tracing/config.js';
import { mainPluginTracer } from '../telemetry/tracing/plugin-tracer.js';
import { createTracing } from '../telemetry/tracing/provider.js';
import { tracedNats } from '../runtime/plugins/traced-nats.js';
import { intFlag, parseArgs, UsageError } from './args.js';
import { BACKEND_FLAGS, BACKEND_USAGE, type BackendFlags, backendFlags } from './backends.js';
import { loadConfig, loadTracing } from './config.js';
import { loadManifest } from './manifest.js';
import { type LocalSecrets, loadSecretsFile, localSources } from './secrets-file.js';

const USAGE = `usage: skiff dev FILE [--port 8080] [--metrics-port 9464] [--host 127.0.0.1] [--no-watch] [--nats URL]
                [--data-dir DIR] [--redis URL] [--keyvalue-backend T] [--blobstore-backend T]
                [--secrets SECRETS.yaml]...   (Kubernetes Secret documents for secretFrom and secret volumes)
${BACKEND_USAGE}`;

/** run runs `skiff dev` until SIGINT/SIGTERM; it resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  let port: number;
  let metricsPort: number;
  let tracingConfig: TracingSettings | undefined;
  try {
    args = parseArgs(argv, {
      ...NATS_FLAGS,
      ...BACKEND_FLAGS,
      port: true,
      'metrics-port': true,
      host: true,
      'no-watch': false,
      help: false,
      secrets: true,
    });
    if (args.flags.has('help')) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (args.positionals.length !== 1)
      throw new UsageError('expected exactly one FILE (a Workload manifest or a .wasm)');
    port = intFlag(args, 'port', 8080, 0, 65535);
    metricsPort = intFlag(args, 'metrics-port', 9464, 0, 65535);
    tracingConfig = loadTracing('skiff-dev');
  } catch (err) {
    process.stderr.write(`skiff dev: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  let backends: BackendFlags;
  try {
    backends = backendFlags(args, config.redisUrl);
    if (backends.httpDisabled)
      throw new UsageError('skiff dev always serves HTTP: --disable-plugin http is for skiff host');
  } catch (err) {
    process.stderr.write(`skiff dev: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  let nc: Awaited<ReturnType<typeof connectNats>> | undefined;
  let nats: ReturnType<typeof natsSettings>;
  try {
    nats = natsSettings(args);
    if (nats) nc = await connectNats(nats, { name: 'skiff-dev' });
  } catch (err) {
    process.stderr.write(`skiff dev: ${(err as Error).message}\n`);
    return 1;
  }
  const logger = createLogger({ level: config.logLevel });
  const file = args.positionals[0]!;
  const secretFiles = (args.flags.get('secrets') ?? []).map((f) => resolve(f));
  // Read again for every start, so an edit reaches the next reload; nothing of them is logged.
  const readSecrets = async (): Promise<LocalSecrets> => {
    const all = new Map<string, ReadonlyMap<string, Uint8Array>>();
    for (const f of secretFiles) for (const [name, data] of await loadSecretsFile(f)) all.set(name, data);
    return all;
  };

  let manifest: Awaited<ReturnType<typeof loadManifest>>;
  try {
    manifest = await loadManifest(file);
  } catch (err) {
    process.stderr.write(`skiff dev: ${(err as Error).message}\n`);
    return 1;
  }

  const http = new HttpServerHandler({
    port,
    hostname: args.flags.get('host')?.at(-1) ?? '127.0.0.1',
    router: new DevRouter(),
  });
  const builder = new HostBuilder()
    .withLogger(logger)
    .withEngine({ cacheDir: config.cacheDir })
    .withSource(ociSource({ cacheDir: config.cacheDir, userDockerConfig: true, logger }))
    // Local development: the developer's own machine, so hostPath volumes and file:// images may name any directory.
    .withHostPathRoots(['/'])
    .withFileImageRoots(['/'])
    .withHttpHandler(http);
  const tracing = tracingConfig && createTracing(tracingConfig, { logger });
  builder.withTracing(tracing);
  if (config.workDir) builder.withWorkDir(config.workDir);
  const threads = nats && { settings: nats, name: 'skiff-dev thread' };
  // Traced, the plugins' NATS requests are spans and carry traceparent headers.
  const pluginNc = nc && tracing ? tracedNats(nc, mainPluginTracer(tracing)) : nc;
  try {
    const plugins = hostPlugins({
      ...backends,
      nats: pluginNc && { nc: pluginNc, options: { threads } },
      onBackendError: (backend, err) => logger.warn({ backend, err: err.message }, 'backend connection error'),
    });
    for (const plugin of plugins) builder.withPlugin(plugin);
  } catch (err) {
    process.stderr.write(`skiff dev: ${(err as Error).message}\n`);
    await nc?.drain();
    return 2;
  }
  if (metricsPort !== 0) builder.withHttpHandler(new AdminHandler({ port: metricsPort }));
  const host = builder.build();
  try {
    await host.start();
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { port?: number };
    const hint =
      e.code === 'EADDRINUSE'
        ? e.port === metricsPort
          ? ` (the metrics port: choose another with --metrics-port N, or 0 to turn it off)`
          : ' (choose another with --port N)'
        : '';
    process.stderr.write(`skiff dev: cannot start the host: ${e.message}${hint}\n`);
    await host.stop().catch(() => undefined);
    await tracing?.shutdown().catch(() => undefined);
    return 1;
  }
  let generation = 1;
  const startWorkload = async () => {
    const { workload } = manifest;
    workload.metadata.generation = generation;
    workload.metadata.uid ??= `dev-${process.pid}`;
    const secrets = secretFiles.length > 0 ? await readSecrets() : undefined;
    await host.workloadStart(workload, {
      baseDir: manifest.baseDir,
      ...(secrets ? { sources: async () => localSources(workload, secrets) } : {}),
    });
  };
  try {
    await startWorkload();
  } catch (err) {
    process.stderr.write(`skiff dev: workload failed to start: ${(err as Error).message}\n`);
    await host.stop();
    await tracing?.shutdown().catch(() => undefined);
    return 1;
  }
  process.stderr.write(`skiff dev: serving ${manifest.workload.metadata.name} on http://127.0.0.1:${http.port}/\n`);

  const idOf = (m: typeof manifest) => `${m.workload.metadata.namespace ?? 'default'}/${m.workload.metadata.name}`;
  const watcher = args.flags.has('no-watch')
    ? undefined
    : new FileWatcher([...manifest.files, ...secretFiles], async () => {
        try {
          const previous = manifest;
          manifest = await loadManifest(file);
          generation++;
          await startWorkload();
          if (idOf(previous) !== idOf(manifest)) await host.workloadStop(idOf(previous)).catch(() => undefined);
          watcher?.watch([...manifest.files, ...secretFiles]);
          logger.info({ generation }, 'reloaded');
        } catch (err) {
          const detail = err instanceof ManifestError ? err.message : (err as Error).message;
          logger.error({ err: detail }, 'reload failed; the previous version keeps serving');
        }
      });

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  watcher?.close();
  await host.stop();
  await tracing?.shutdown().catch(() => undefined);
  await nc?.drain();
  return 0;
}

/**
 * FileWatcher calls back (debounced, one at a time) when any of the files changes. It
 * watches their folders, not the files: editors save by writing a new file and renaming
 * it over the old one, which a watch on the old file would never see again.
 */
class FileWatcher {
  readonly #onChange: () => Promise<void>;
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running = Promise.resolve();

  constructor(files: readonly string[], onChange: () => Promise<void>) {
    this.#onChange = onChange;
    this.watch(files);
  }

  /**
   * watch replaces the watched set of files. The new watches start before the old ones stop
   * and a change already seen stays pending: a reload re-watches as it finishes, and an edit
   * saved meanwhile must still trigger the next one.
   */
  watch(files: readonly string[]): void {
    const old = this.#watchers;
    this.#watchers = [];
    const byDir = new Map<string, Set<string>>();
    for (const f of files) {
      const names = byDir.get(dirname(f)) ?? new Set<string>();
      names.add(basename(f));
      byDir.set(dirname(f), names);
    }
    for (const [dir, names] of byDir) {
      try {
        this.#watchers.push(
          watch(dir, (_event, name) => {
            if (name === null || names.has(name.toString())) this.#trigger();
          }),
        );
      } catch {
        // a folder that does not exist cannot change
      }
    }
    for (const w of old) w.close();
  }

  #trigger(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#running = this.#running.then(this.#onChange);
    }, 200);
  }

  /** close stops watching. */
  close(): void {
    clearTimeout(this.#timer);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
  }
}
