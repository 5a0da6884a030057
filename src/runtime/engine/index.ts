/**
 * The engine, in the main thread: it fetches a component (`source.ts`, `file-source.ts`),
 * checks its bytes and reads its imports on the inspect thread (`inspector.ts`), transpiles
 * it with jco on the transpile thread into an on-disk cache, and compiles its core modules
 * once per digest and memory limit (`engine.ts`, `transpiler.ts`). Hosts may share
 * transpile output as signed bundles (`bundle.ts`) in a store (`shared-store.ts`).
 * `bytes.ts` and `names.ts` are pure functions; `threads/` holds the entry modules of the
 * two helper threads.
 */
export { BundleError, MAX_BUNDLE_BYTES, openBundle, packBundle } from './bundle.js';
export { checkComponentBytes, componentWorldNames, limitMemory, MAX_SECTIONS, walkSections } from './bytes.js';
export { Engine, type EngineOptions, type LoadedComponent, type PreparedComponent } from './engine.js';
export { type FileSourceOptions, filePathOf, fileSource } from './file-source.js';
export { type ComponentNames, ComponentInspector, type InspectorOptions } from './inspector.js';
export { TranspileWorkers } from './transpiler.js';
export {
  ASYNC_IO_IMPORTS,
  asyncImportNames,
  type ImportedItem,
  type InterfaceShape,
  importedItem,
  kebab,
  parseWorldImports,
  shapeOf,
} from './names.js';
export {
  DEFAULT_TRANSPILE_BUCKET,
  type NatsTranspileStoreOptions,
  natsTranspileStore,
  type SharedTranspiles,
  type TranspileStore,
} from './shared-store.js';
export {
  type ComponentRef,
  type ComponentSource,
  httpsSource,
  MAX_COMPONENT_BYTES,
  readBounded,
  SourceSet,
  sha256Digest,
  verifyDigest,
} from './source.js';
