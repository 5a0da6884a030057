/**
 * Skiff's public library API: build a host, write plugins and handlers, parse manifests.
 */
export * from './api/index.js';
export { Engine, type EngineOptions, type LoadedComponent, type PreparedComponent } from './runtime/engine/engine.js';
export type { ComponentRef, ComponentSource } from './runtime/engine/source.js';
export * from './runtime/errors.js';
export { AdminHandler } from './runtime/http/admin.js';
export { DevRouter, type Router, VirtualHostRouter } from './runtime/http/routers.js';
export { HttpServerHandler, type HttpServerOptions } from './runtime/http/server.js';
export {
  Host,
  type HostApi,
  HostBuilder,
  type HostHandler,
  type HostView,
  type WorkloadState,
  type WorkloadStatus,
} from './runtime/host.js';
export * from './runtime/plugin.js';
export * from './runtime/plugins/index.js';
export { inputStream, outputStream, pollable } from './runtime/wasi/shim.js';
export { createLogger, type Logger, silentLogger } from './telemetry/logger.js';
export { createMetrics, type HostMetrics } from './telemetry/metrics.js';
