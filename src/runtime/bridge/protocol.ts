/**
 * The messages a host's main thread and a workload worker exchange. Guests run in
 * workers; plugins run in the main thread. A plugin's resources cross as handles.
 */
import type { InterfaceShape } from '../engine/names.js';

/** HANDLE_KEY marks an encoded resource handle inside a bridged value. */
export const HANDLE_KEY = '__skiffHandle';

/** HandleRef is how a resource travels: its handle id and, from main to worker, its kind. */
export interface HandleRef {
  readonly [HANDLE_KEY]: number;
  /** cls names the proxy class: `iface|Class`, or `io|InputStream`, `io|OutputStream`, `io|Pollable`. */
  readonly cls?: string;
}

/** RpcCall is a worker asking the main thread to run a plugin function. */
export type RpcCall =
  | { t: 'rpc'; id: number; op: 'call'; iface: string; name: string; args: unknown[] }
  | { t: 'rpc'; id: number; op: 'static'; iface: string; cls: string; name: string; args: unknown[] }
  | { t: 'rpc'; id: number; op: 'method'; handle: number; name: string; args: unknown[] }
  | { t: 'rpc'; id: 0; op: 'new'; iface: string; cls: string; handle: number; args: unknown[] }
  | { t: 'rpc'; id: 0; op: 'drop'; handle: number }
  | { t: 'rpc'; id: number; op: 'stream-write'; handle: number; bytes: Uint8Array };

/** RpcReply answers an RpcCall: a value, a thrown WIT error value, or a host failure. */
export type RpcReply =
  | { t: 'rpc-reply'; id: number; ok: true; value: unknown }
  | { t: 'rpc-reply'; id: number; ok: false; thrown: unknown; hostError?: string };

/** HttpRequestData is an incoming HTTP request, buffered. */
export interface HttpRequestData {
  method: string;
  /** url is scheme://authority/path?query as the guest should see it. */
  url: string;
  headers: [string, string][];
  body: Uint8Array;
}

/** HttpResponseData is a guest's complete response. */
export interface HttpResponseData {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

/** ToWorker is every message the main thread sends a worker. */
export type ToWorker =
  | RpcReply
  | { t: 'init'; init: WorkerInit }
  | { t: 'http'; id: number; req: HttpRequestData }
  | { t: 'invoke'; id: number; iface: string; fn: string; args: unknown[] }
  | { t: 'shutdown' };

/** FromWorker is every message a worker sends the main thread. */
export type FromWorker =
  | RpcCall
  | { t: 'ready' }
  | { t: 'init-failed'; error: string; code: string }
  | { t: 'log'; stream: 'stdout' | 'stderr'; line: string }
  | { t: 'queued'; id: number }
  | { t: 'begin'; id: number }
  | { t: 'done'; id: number; value: unknown }
  | { t: 'failed'; id: number; error: string; code: string }
  | { t: 'instance-discarded'; reason: string };

/** WorkerInit is the data a worker starts with. */
export interface WorkerInit {
  /** moduleUrl is the file URL of the transpiled component's JS. */
  moduleUrl: string;
  /** modules are the compiled core modules by file name. */
  modules: Record<string, WebAssembly.Module>;
  /** shapes describe the plugin interfaces the worker proxies to the main thread. */
  shapes: Record<string, InterfaceShape>;
  wasi: {
    env: [string, string][];
    args: string[];
    preopens: { guestPath: string; hostPath: string; readOnly: boolean }[];
  };
  /** outgoingHosts lists the host names outgoing HTTP may reach; empty denies all. */
  outgoingHosts: string[];
  /** maxInstances bounds the worker's instance pool. */
  maxInstances: number;
  /** label names the workload and component in errors. */
  label: string;
}
