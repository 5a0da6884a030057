/**
 * Entry modules of the engine's helper threads, one file per thread: `inspect.ts` checks
 * untrusted component bytes and reads their names, `transpile.ts` runs jco. The main
 * thread starts them (`../inspector.ts`, `../engine.ts`) and talks to them by message;
 * they import only the pure functions of `../bytes.ts` and `../names.ts`. Nothing imports
 * this folder.
 */
export {};
