/**
 * Process configuration read from the environment, once, into a frozen object.
 * The only place the CLI reads `process.env`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** CliConfig is the environment-derived configuration of the skiff CLI. */
export interface CliConfig {
  /** cacheDir holds transpiled components (SKIFF_CACHE, default ~/.cache/skiff). */
  readonly cacheDir: string;
  /** workDir holds workload volumes (SKIFF_WORKDIR; unset: a temporary directory the host removes when it stops). */
  readonly workDir: string | undefined;
  /** logLevel is the pino level (SKIFF_LOG_LEVEL, default info). */
  readonly logLevel: string;
}

/** loadConfig reads the configuration from an environment (process.env by default). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const home = env.HOME ?? homedir();
  return Object.freeze({
    cacheDir: join(env.SKIFF_CACHE ?? join(home, '.cache', 'skiff'), 'engine'),
    workDir: env.SKIFF_WORKDIR,
    logLevel: env.SKIFF_LOG_LEVEL ?? 'info',
  });
}
