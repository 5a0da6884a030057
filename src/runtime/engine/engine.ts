/**
 * The engine turns a component reference into something a worker can instantiate:
 * fetch → check the bytes and read its imports (on the inspector's thread) → sha256 →
 * transpile with jco (on a transpile thread) into an on-disk cache keyed by digest and
 * options → compile the core modules once.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../telemetry/logger.js';
import { InvalidComponentError } from '../errors.js';
import { threadExecArgv, threadModule } from '../threads.js';
import { limitMemory } from './bytes.js';
import { ComponentInspector } from './inspector.js';
import { type ImportedItem, importedItem } from './names.js';
import { fileSource } from './file-source.js';
import { type ComponentRef, httpsSource, SourceSet, type ComponentSource } from './source.js';

/** EngineOptions configures an Engine. */
export interface EngineOptions {
  /** cacheDir holds transpiled components, keyed by digest. */
  cacheDir: string;
  /** sources are tried before the built-in file:// and https:// sources. */
  sources?: ComponentSource[];
  /** fileRoots are the directories file:// images may come from; none (the default) refuses file:// images. */
  fileRoots?: readonly string[];
  logger: Logger;
}

/** LoadedComponent is a fetched, checked component with its import list. */
export interface LoadedComponent {
  readonly digest: string;
  readonly bytes: Uint8Array;
  readonly imports: readonly ImportedItem[];
  readonly exports: readonly string[];
}

/** PreparedComponent is a transpiled component ready for workers. */
export interface PreparedComponent {
  readonly digest: string;
  readonly moduleUrl: string;
  readonly modules: Record<string, WebAssembly.Module>;
}

const TRANSPILE_VERSION = 'jco-1.35.0-v2';

/** MAX_COMPILED_MODULES bounds the in-memory cache of compiled core modules. */
const MAX_COMPILED_MODULES = 64;

/** Engine loads, verifies, transpiles and compiles components. */
export class Engine {
  readonly #cacheDir: string;
  readonly #sources: SourceSet;
  readonly #logger: Logger;
  readonly #compiled = new Map<string, Promise<WebAssembly.Module>>();
  readonly #transpiling = new Map<string, Promise<string>>();
  readonly #transpiler = new TranspileWorkers();
  readonly #inspector = new ComponentInspector();

  constructor(options: EngineOptions) {
    this.#cacheDir = options.cacheDir;
    this.#logger = options.logger;
    const files = fileSource({ roots: options.fileRoots ?? [] });
    this.#sources = new SourceSet([...(options.sources ?? []), files, httpsSource()]);
  }

  /** warm starts the transpile and inspect workers ahead of the first start (the host calls it when it starts). */
  warm(): void {
    this.#transpiler.warm();
    this.#inspector.warm();
  }

  /** close stops the engine's helper threads (new ones start when needed). */
  async close(): Promise<void> {
    await this.#inspector.close();
  }

  /** load fetches a component, checks its bytes and digest, and reads its imports and exports. */
  async load(ref: ComponentRef, signal?: AbortSignal): Promise<LoadedComponent> {
    const { bytes, digest } = await this.#sources.fetch(ref, signal);
    const what = `component ${ref.image}`;
    // Reading the names from the binary takes well under a millisecond, but the bytes are untrusted.
    const names = await this.#inspector.check(bytes, what);
    const meta = names
      ? { imports: names.imports.map(importedItem), exports: names.exports }
      : await this.#metadata(bytes, digest, what);
    return { digest, bytes, ...meta };
  }

  /** #metadata asks jco for the names of a component encoded in a way the fast reader does not know. */
  async #metadata(
    bytes: Uint8Array,
    digest: string,
    what: string,
  ): Promise<{ imports: ImportedItem[]; exports: string[] }> {
    const file = join(this.#cacheDir, 'meta', `${digest.replace(':', '-')}-${TRANSPILE_VERSION}.json`);
    try {
      return JSON.parse(await readFile(file, 'utf8'));
    } catch {
      // not cached yet
    }
    const { imports, exports } = await this.#inspector.wit(bytes, what);
    await writeAtomic(file, JSON.stringify({ imports, exports }));
    return { imports, exports };
  }

  /**
   * prepare transpiles (or takes from the cache) and compiles a loaded component.
   * `asyncImports` are the jco import names that may return a Promise (none: the component
   * is transpiled without JSPI, which makes each call cheaper); `memoryLimit` caps each core
   * memory in bytes.
   */
  async prepare(
    component: LoadedComponent,
    options: { asyncImports: readonly string[]; memoryLimit?: number | undefined },
  ): Promise<PreparedComponent> {
    const asyncImports = [...new Set(options.asyncImports)].sort();
    const optsHash = createHash('sha256')
      .update(JSON.stringify({ TRANSPILE_VERSION, asyncImports }))
      .digest('hex')
      .slice(0, 16);
    const key = `${component.digest.slice('sha256:'.length)}-${optsHash}`;
    let dirPromise = this.#transpiling.get(key);
    if (!dirPromise) {
      dirPromise = this.#transpile(component, key, asyncImports);
      this.#transpiling.set(key, dirPromise);
      dirPromise.catch(() => this.#transpiling.delete(key));
    }
    const dir = await dirPromise;
    const files = (await readdir(dir)).filter((f) => f.endsWith('.wasm'));
    const modules: Record<string, WebAssembly.Module> = {};
    for (const f of files) modules[f] = await this.#compile(join(dir, f), options.memoryLimit);
    return { digest: component.digest, moduleUrl: pathToFileURL(join(dir, 'component.mjs')).href, modules };
  }

  async #transpile(component: LoadedComponent, key: string, asyncImports: string[]): Promise<string> {
    const dir = join(this.#cacheDir, 'js', key);
    try {
      await readFile(join(dir, 'component.mjs'));
      return dir;
    } catch {
      // not cached yet
    }
    const started = performance.now();
    let out: { files: Record<string, Uint8Array> };
    try {
      const jspi = asyncImports.length > 0 ? { asyncMode: 'jspi', asyncImports, asyncExports: ['*'] } : {};
      out = await this.#transpiler.run(component.bytes, {
        name: 'component',
        instantiation: { tag: 'async' },
        ...jspi,
        emitTypescriptDeclarations: false,
        noTypescript: true,
      });
    } catch (err) {
      throw new InvalidComponentError(`component ${component.digest} cannot be transpiled: ${String(err)}`, {
        cause: err,
      });
    }
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(tmp, { recursive: true });
    for (const [name, content] of Object.entries(out.files)) {
      let data = content;
      if (name === 'component.js') {
        // Silence the generated per-call debug logging, which reads process.env on every call.
        data = new TextEncoder().encode(
          new TextDecoder().decode(content).replace('const _debugLog = (...args) => {', 'const _debugLog = () => {};\n  const _unusedDebugLog = (...args) => {'),
        );
      }
      await writeFile(join(tmp, name === 'component.js' ? 'component.mjs' : name), data);
    }
    // Another process may have finished the same transpile first: keep its directory.
    await rename(tmp, dir).catch(async (err) => {
      await rm(tmp, { recursive: true, force: true });
      if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw err;
      }
    });
    this.#logger.info(
      { digest: component.digest, ms: Math.round(performance.now() - started) },
      'transpiled component',
    );
    return dir;
  }

  #compile(path: string, memoryLimit: number | undefined): Promise<WebAssembly.Module> {
    const key = `${path}#${memoryLimit ?? ''}`;
    let module = this.#compiled.get(key);
    if (module) {
      // Most recently used last, so eviction drops the module unused the longest.
      this.#compiled.delete(key);
      this.#compiled.set(key, module);
    }
    if (!module) {
      module = readFile(path).then((bytes) => {
        const source = memoryLimit ? limitMemory(new Uint8Array(bytes), memoryLimit) : new Uint8Array(bytes);
        return WebAssembly.compile(source as Uint8Array<ArrayBuffer>);
      });
      this.#compiled.set(key, module);
      module.catch(() => this.#compiled.delete(key));
      // Running workers keep their own reference; this map only saves recompiles.
      while (this.#compiled.size > MAX_COMPILED_MODULES) {
        this.#compiled.delete(this.#compiled.keys().next().value!);
      }
    }
    return module;
  }
}

/** TRANSPILE_TIMEOUT_MS bounds one transpile (a 13 MB guest takes about a second). */
const TRANSPILE_TIMEOUT_MS = 300_000;

const transpileWorkerUrl = threadModule('threads/transpile', import.meta.url);

/** TranspileWorkers keeps one transpile worker started (jco loaded) ahead of the next cold start. */
class TranspileWorkers {
  #spare: Worker | undefined;

  #spawn(): Worker {
    const worker = new Worker(transpileWorkerUrl, {
      execArgv: threadExecArgv(transpileWorkerUrl),
    });
    worker.unref();
    worker.on('error', () => undefined);
    return worker;
  }

  /** warm starts the spare worker if there is none. */
  warm(): void {
    this.#spare ??= this.#spawn();
  }

  /** run transpiles in the spare worker (starting one if needed) and starts the next spare. */
  run(bytes: Uint8Array, options: Record<string, unknown>): Promise<{ files: Record<string, Uint8Array> }> {
    const worker = this.#spare ?? this.#spawn();
    this.#spare = undefined;
    worker.ref();
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
        void worker.terminate();
        setImmediate(() => this.warm());
      };
      worker.once('message', (m: { ok: boolean; files?: Record<string, Uint8Array>; error?: string }) =>
        finish(() => (m.ok ? resolve({ files: m.files! }) : reject(new Error(m.error)))),
      );
      worker.once('error', (err) => finish(() => reject(err)));
      worker.once('exit', (code) => finish(() => reject(new Error(`transpile worker exited with code ${code}`))));
      // The bytes passed the checks but are still untrusted: a transpile that never ends is stopped.
      const timer = setTimeout(
        () => finish(() => reject(new Error(`transpiling took longer than ${TRANSPILE_TIMEOUT_MS} ms`))),
        TRANSPILE_TIMEOUT_MS,
      );
      worker.postMessage({ bytes, options });
    });
  }
}

async function writeAtomic(file: string, content: string): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
