/**
 * The Skiff API: zod schemas and inferred types of every resource and message that crosses
 * a process boundary. This folder imports nothing else from `src`; CRDs are generated from it.
 */
export * from './common.js';
export * from './errors.js';
export * from './hostconfig.js';
export * from './manifest.js';
export * from './protocol.js';
export * from './references.js';
export * from './sources.js';
export * from './workload.js';
