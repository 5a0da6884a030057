/**
 * The bridge's messages: a guest's calls into the plugins bound for its component, and
 * their replies. Each component context in a workload thread has its own MessageChannel
 * for them; guests run in workload threads, plugins in the main thread, and a plugin's
 * resources cross as handles.
 */

/** HANDLE_KEY marks an encoded resource handle inside a bridged value. */
export const HANDLE_KEY = '__skiffHandle';

/** HandleRef is how a resource travels: its handle id and, from main to worker, its kind. */
export interface HandleRef {
  readonly [HANDLE_KEY]: number;
  /** cls names the proxy class: `iface|Class`, or `io|InputStream`, `io|OutputStream`, `io|Pollable`. */
  readonly cls?: string;
}

/**
 * RpcCall is a worker asking the main thread to run a plugin function; `tp` is the
 * traceparent of the call's span when it is traced (the plugin runs under it).
 */
export type RpcCall =
  | { t: 'rpc'; id: number; op: 'call'; iface: string; name: string; args: unknown[]; tp?: string }
  | { t: 'rpc'; id: number; op: 'static'; iface: string; cls: string; name: string; args: unknown[]; tp?: string }
  | { t: 'rpc'; id: number; op: 'method'; handle: number; name: string; args: unknown[]; tp?: string }
  | { t: 'rpc'; id: 0; op: 'new'; iface: string; cls: string; handle: number; args: unknown[] }
  | { t: 'rpc'; id: 0; op: 'drop'; handle: number }
  | { t: 'rpc'; id: number; op: 'stream-write'; handle: number; bytes: Uint8Array };

/** RpcReply answers an RpcCall: a value, a thrown WIT error value, or a host failure. */
export type RpcReply =
  | { t: 'rpc-reply'; id: number; ok: true; value: unknown }
  | { t: 'rpc-reply'; id: number; ok: false; thrown: unknown; hostError?: string };

/** InterfaceShape lists the free functions and resource classes of one import fragment entry. */
export interface InterfaceShape {
  functions: string[];
  classes: Record<string, { statics: string[]; methods: string[] }>;
}
