/**
 * HostBuilder assembles a Host from an engine configuration, plugins, handlers and a logger.
 */
import type { Tracing } from '../telemetry/tracing/provider.js';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, silentLogger } from '../telemetry/logger.js';
import { createMetrics, type HostMetrics } from '../telemetry/metrics.js';
import { Engine, type EngineOptions } from './engine/engine.js';
import type { SharedTranspiles } from './engine/shared-store.js';
import type { ComponentSource } from './engine/source.js';
import { SkiffError } from './errors.js';
import { Host, type HostHandler, type ThreadOptions } from './host.js';
import type { HostPlugin } from './plugin.js';
import type { VolumeResolver } from './volumes.js';

/** HostBuilder assembles a Host: engine, plugins, HTTP handler, logger. */
export class HostBuilder {
  #id = `host-${randomUUID().slice(0, 8)}`;
  #logger: Logger = silentLogger();
  #engine: Partial<EngineOptions> = {};
  #sources: ComponentSource[] = [];
  #plugins: HostPlugin[] = [];
  #handlers: HostHandler[] = [];
  #workDir: string | undefined;
  #secretDir: string | undefined;
  #hostPathRoots: string[] = [];
  #fileImageRoots: string[] = [];
  #defaultMemoryLimit: number | undefined = DEFAULT_MEMORY_LIMIT;
  #metrics: HostMetrics | undefined;
  #volumeResolver: VolumeResolver | undefined;
  #threads: ThreadOptions = {};
  #tracing: Tracing | undefined;

  /** withId names the host. */
  withId(id: string): this {
    this.#id = id;
    return this;
  }
  /** withLogger sets the logger. */
  withLogger(logger: Logger): this {
    this.#logger = logger;
    return this;
  }
  /** withEngine sets engine options: the cache directory, and where hosts share transpile output. */
  withEngine(options: { cacheDir?: string; shared?: SharedTranspiles | undefined }): this {
    this.#engine = { ...this.#engine, ...options };
    return this;
  }
  /** withSource adds a component source (e.g. OCI) tried before file:// and https://. */
  withSource(source: ComponentSource): this {
    this.#sources.push(source);
    return this;
  }
  /** withPlugin adds a capability plugin. */
  withPlugin(plugin: HostPlugin): this {
    if (this.#plugins.some((p) => p.imports.some((i) => plugin.imports.includes(i)))) {
      throw new SkiffError('SKIFF_PLUGIN_CONFLICT', `plugin ${plugin.id} provides an interface another plugin provides`);
    }
    this.#plugins.push(plugin);
    return this;
  }
  /** withHttpHandler adds a handler that serves HTTP for the workloads. */
  withHttpHandler(handler: HostHandler): this {
    this.#handlers.push(handler);
    return this;
  }
  /** withWorkDir sets where volumes are created (by default a new temporary directory the host removes when it stops). */
  withWorkDir(dir: string): this {
    this.#workDir = dir;
    return this;
  }
  /** withSecretDir keeps secret volumes in `dir` instead of the work directory (give it a memory-backed directory). */
  withSecretDir(dir: string): this {
    this.#secretDir = dir;
    return this;
  }
  /** withMetrics uses an existing metrics set (its own registry by default). */
  withMetrics(metrics: HostMetrics): this {
    this.#metrics = metrics;
    return this;
  }
  /** withVolumeResolver provides configMap and secret volumes. */
  withVolumeResolver(resolver: VolumeResolver): this {
    this.#volumeResolver = resolver;
    return this;
  }
  /** withHostPathRoots allows hostPath volumes below these directories (none by default). */
  withHostPathRoots(roots: readonly string[]): this {
    this.#hostPathRoots = [...roots];
    return this;
  }
  /** withFileImageRoots allows file:// images below these directories (none by default: starts come from the network). */
  withFileImageRoots(roots: readonly string[]): this {
    this.#fileImageRoots = [...roots];
    return this;
  }
  /** withDefaultMemoryLimit caps each instance's memory (bytes) when a component sets no limit; undefined for none. */
  withDefaultMemoryLimit(bytes: number | undefined): this {
    this.#defaultMemoryLimit = bytes;
    return this;
  }
  /** withThreads tunes how components share workload threads: the thread bound, the idle timeout, warm components per thread. */
  withThreads(options: ThreadOptions): this {
    this.#threads = { ...this.#threads, ...options };
    return this;
  }
  /** withTracing traces requests: a server span each, child spans for plugin calls and outgoing HTTP. */
  withTracing(tracing: Tracing | undefined): this {
    this.#tracing = tracing;
    return this;
  }

  /** build creates the Host (not started). */
  build(): Host {
    const engine = new Engine({
      cacheDir: this.#engine.cacheDir ?? defaultCacheDir(),
      logger: this.#logger,
      sources: this.#sources,
      fileRoots: this.#fileImageRoots,
      shared: this.#engine.shared,
    });
    return new Host({
      id: this.#id,
      logger: this.#logger,
      metrics: this.#metrics ?? createMetrics(),
      engine,
      plugins: this.#plugins,
      handlers: this.#handlers,
      workDir: this.#workDir ?? mkdtempSync(join(tmpdir(), 'skiff-work-')),
      ownsWorkDir: this.#workDir === undefined,
      secretDir: this.#secretDir,
      volumeResolver: this.#volumeResolver,
      hostPathRoots: this.#hostPathRoots,
      defaultMemoryLimit: this.#defaultMemoryLimit,
      threads: this.#threads,
      tracing: this.#tracing,
    });
  }
}

/** DEFAULT_MEMORY_LIMIT caps an instance's memory when its component sets no `limits.memory` (256 MiB). */
export const DEFAULT_MEMORY_LIMIT = 256 * 2 ** 20;

/**
 * defaultCacheDir is where the engine caches transpiled components unless told otherwise:
 * a directory of the current user (the cache holds code the host runs, so never a shared,
 * predictable /tmp path).
 */
export function defaultCacheDir(): string {
  return join(homedir(), '.cache', 'skiff', 'engine');
}
