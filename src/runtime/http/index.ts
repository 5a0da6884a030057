/**
 * The host's HTTP front, in the main thread: `server.ts` (the Node server that buffers a
 * request and hands it to a workload), `routers.ts` (which workload serves a request) and
 * `admin.ts` (metrics and health on their own port). The guest's side of wasi:http is in
 * `../guest/http`.
 */
export { AdminHandler } from './admin.js';
export { DevRouter, type Router, VirtualHostRouter } from './routers.js';
export { HttpServerHandler, type HttpServerOptions } from './server.js';
