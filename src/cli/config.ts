/**
 * Process configuration read from the environment, once, into a frozen object.
 * The only place the CLI reads `process.env`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type TracingSettings, tracingSettings } from '../telemetry/tracing/config.js';

/** CliConfig is the environment-derived configuration of the skiff CLI. */
export interface CliConfig {
  /** cacheDir holds transpiled components (SKIFF_CACHE, default ~/.cache/skiff). */
  readonly cacheDir: string;
  /** workDir holds workload volumes (SKIFF_WORKDIR; unset: a temporary directory the host removes when it stops). */
  readonly workDir: string | undefined;
  /** secretDir holds secret volumes instead of workDir (SKIFF_SECRETDIR; host pods mount a memory-backed volume there). */
  readonly secretDir: string | undefined;
  /** logLevel is the pino level (SKIFF_LOG_LEVEL, default info). */
  readonly logLevel: string;
  /** redisUrl enables the Redis keyvalue backend (SKIFF_REDIS_URL; the `--redis` flag wins). */
  readonly redisUrl: string | undefined;
  /**
   * pod is the pod `skiff host` runs in, as the downward API puts it in the environment
   * (SKIFF_POD_NAMESPACE, SKIFF_POD_NAME, SKIFF_POD_UID, SKIFF_POD_IP); `--pod-*` flags win.
   */
  readonly pod: PodEnv;
}

/** PodEnv holds the SKIFF_POD_* variables that are set (unchecked: `skiff host` validates them with its flags). */
export interface PodEnv {
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  readonly uid?: string | undefined;
  readonly ip?: string | undefined;
}

/** loadConfig reads the configuration from an environment (process.env by default). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const home = env.HOME ?? homedir();
  return Object.freeze({
    cacheDir: join(env.SKIFF_CACHE ?? join(home, '.cache', 'skiff'), 'engine'),
    workDir: env.SKIFF_WORKDIR,
    secretDir: env.SKIFF_SECRETDIR || undefined,
    logLevel: env.SKIFF_LOG_LEVEL ?? 'info',
    redisUrl: env.SKIFF_REDIS_URL || undefined,
    pod: Object.freeze({
      namespace: env.SKIFF_POD_NAMESPACE || undefined,
      name: env.SKIFF_POD_NAME || undefined,
      uid: env.SKIFF_POD_UID || undefined,
      ip: env.SKIFF_POD_IP || undefined,
    }),
  });
}

/**
 * loadTracing reads the standard OTEL_* variables (see telemetry/tracing/config.ts):
 * undefined when tracing is off; throws a TracingConfigError for a value it cannot use.
 */
export function loadTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): TracingSettings | undefined {
  return tracingSettings(env, serviceName);
}
