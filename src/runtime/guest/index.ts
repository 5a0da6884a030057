/**
 * Code that runs in a workload thread, beside the components: `entry.ts` is the thread's
 * entry module; `context.ts` is one component of one workload (its imports and its
 * instances, `instances.ts`); `bridge-client.ts` proxies granted plugins to the main
 * thread; `wasi/` is the WASI P2 core and `http/` the guest's wasi:http. Nothing in the main
 * thread imports this folder: it reaches it through `../channel` messages only.
 */
export { BridgeClient, BridgeError } from './bridge-client.js';
export { describeFailure, GuestContext, type GuestFailure } from './context.js';
export { httpImports, serveHttp } from './http/imports.js';
export { findExport, type Instance, InstancePool } from './instances.js';
