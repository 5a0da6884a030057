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
import type { Logger } from '../../telemetry/logger.js';
import { InvalidComponentError } from '../errors.js';
import { openBundle, packBundle } from './bundle.js';
import { limitMemory } from './bytes.js';
import { ComponentInspector } from './inspector.js';
import { type ImportedItem, importedItem } from './names.js';
import { fileSource } from './file-source.js';
import type { SharedTranspiles } from './shared-store.js';
import { type ComponentRef, httpsSource, SourceSet, type ComponentSource } from './source.js';
import { TranspileWorkers } from './transpiler.js';

/** EngineOptions configures an Engine. */
export interface EngineOptions {
  /** cacheDir holds transpiled components, keyed by digest. */
  cacheDir: string;
  /** sources are tried before the built-in file:// and https:// sources. */
  sources?: ComponentSource[];
  /** fileRoots are the directories file:// images may come from; none (the default) refuses file:// images. */
  fileRoots?: readonly string[];
  /** shared, when set, is where hosts share transpile output: fetched before transpiling, filled after. */
  shared?: SharedTranspiles | undefined;
  logger: Logger;
}

/** SHARED_FETCH_TIMEOUT_MS bounds fetching a bundle from the shared store before transpiling instead. */
const SHARED_FETCH_TIMEOUT_MS = 10_000;

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
  readonly #shared: SharedTranspiles | undefined;

  constructor(options: EngineOptions) {
    this.#cacheDir = options.cacheDir;
    this.#logger = options.logger;
    this.#shared = options.shared;
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
    const shared = await this.#fromShared(key);
    if (shared) {
      await this.#writeDir(dir, shared);
      return dir;
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
    const files: Record<string, Uint8Array> = {};
    for (const [name, content] of Object.entries(out.files)) {
      let data = content;
      if (name === 'component.js') {
        // Silence the generated per-call debug logging, which reads process.env on every call.
        data = new TextEncoder().encode(
          new TextDecoder().decode(content).replace('const _debugLog = (...args) => {', 'const _debugLog = () => {};\n  const _unusedDebugLog = (...args) => {'),
        );
      }
      files[name === 'component.js' ? 'component.mjs' : name] = data;
    }
    await this.#writeDir(dir, files);
    this.#logger.info(
      { digest: component.digest, ms: Math.round(performance.now() - started) },
      'transpiled component',
    );
    this.#toShared(key, files);
    return dir;
  }

  /** #fromShared fetches and checks the bundle of `key` from the shared store; undefined when absent, slow or refused. */
  async #fromShared(key: string): Promise<Record<string, Uint8Array> | undefined> {
    const shared = this.#shared;
    if (!shared) return undefined;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const slow = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), SHARED_FETCH_TIMEOUT_MS);
      });
      const bundle = await Promise.race([shared.store.get(key), slow]);
      if (!bundle) return undefined;
      const files = openBundle(key, bundle, shared.secret);
      this.#logger.info({ key, ms: Math.round(performance.now() - started) }, 'transpiled component taken from the shared store');
      return files;
    } catch (err) {
      this.#logger.warn({ key, err: (err as Error).message }, 'shared transpile unusable; transpiling here');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** #toShared offers this host's transpile to the other hosts, in the background. */
  #toShared(key: string, files: Record<string, Uint8Array>): void {
    const shared = this.#shared;
    if (!shared) return;
    void shared.store.put(key, packBundle(key, files, shared.secret)).then(
      () => this.#logger.info({ key }, 'transpiled component shared'),
      (err: Error) => this.#logger.warn({ key, err: err.message }, 'could not share the transpiled component'),
    );
  }

  /** #writeDir writes a transpile output directory atomically. */
  async #writeDir(dir: string, files: Record<string, Uint8Array>): Promise<void> {
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(tmp, { recursive: true });
    for (const [name, data] of Object.entries(files)) await writeFile(join(tmp, name), data);
    // Another process may have finished the same transpile first: keep its directory.
    await rename(tmp, dir).catch(async (err) => {
      await rm(tmp, { recursive: true, force: true });
      if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw err;
      }
    });
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

async function writeAtomic(file: string, content: string): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
