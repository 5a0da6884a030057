/**
 * The messages between the host's main thread and a workload thread. A workload thread
 * holds component contexts (`cx`): each is one component of one workload, opened on demand
 * with its program, closed when idle. Calls carry host-wide ids; the main thread owns every
 * timer, the thread only reports when a call waits for a free instance (`queued`), waits for
 * a new one to be instantiated (`instantiating`), and when an instance starts running it
 * (`begin`).
 */
import type { MessagePort } from 'node:worker_threads';
import type { ComponentSpec, HostInterface } from '../../api/index.js';
import type { ThreadPlugin, WorkloadRef } from '../plugin.js';
import type { SpanRecord } from '../../telemetry/tracing/records.js';
import type { InterfaceShape } from './bridge.js';

/** HttpRequestData is an incoming HTTP request, buffered. */
export interface HttpRequestData {
  method: string;
  /** url is scheme://authority/path?query as the guest should see it. */
  url: string;
  headers: [string, string][];
  body: Uint8Array;
  /** traceparent, when the host traces, is the request's server span: the guest's spans are its children. */
  traceparent?: string | undefined;
}

/** HttpResponseData is a guest's complete response. */
export interface HttpResponseData {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

/** ComponentProgram is what a workload thread needs to instantiate one component of one workload. */
export interface ComponentProgram {
  /** moduleUrl is the file URL of the transpiled component's JS. */
  moduleUrl: string;
  /** modules are the compiled core modules by file name (shared by every workload running the digest). */
  modules: Record<string, WebAssembly.Module>;
  /** shapes describe the plugin interfaces the context proxies to the main thread. */
  shapes: Record<string, InterfaceShape>;
  wasi: {
    env: [string, string][];
    args: string[];
    preopens: { guestPath: string; hostPath: string; readOnly: boolean }[];
  };
  /** outgoingHosts lists the host names outgoing HTTP may reach; empty denies all. */
  outgoingHosts: string[];
  /** sockets configure wasi:sockets: egress entries and the workload's connection budget. */
  sockets: SocketSettings;
  /** maxInstances bounds the context's instance pool. */
  maxInstances: number;
  /** local lists the plugins the context binds in its own thread; their interfaces skip the bridge. */
  local: LocalPlugin[];
  /** bind is what a local plugin's `bind` learns about the component (and the host's id). */
  bind: { hostId: string; workload: WorkloadRef; component: ComponentSpec };
  /** label names the workload and component in errors. */
  label: string;
  /** traced says the host traces: calls that bring a traceparent get a span per plugin call. */
  traced?: boolean | undefined;
}

/** SocketSettings are a component's wasi:sockets settings, shared by every thread it runs on. */
export interface SocketSettings {
  /** allowedHosts are the entries of the workload's wasi:sockets grant (`config.allowedHosts`); empty: no egress. */
  allowedHosts: string[];
  /** maxConnections bounds the connections the workload holds open at once. */
  maxConnections: number;
  /** counter is the workload's connection count (a SharedArrayBuffer: one count across threads). */
  counter: Int32Array;
  /** mayListen: the component is the workload's service and may listen on its virtual loopback. */
  mayListen: boolean;
}

/** LocalPlugin is a plugin a workload thread builds a copy of, and what this component was granted of it. */
export interface LocalPlugin {
  readonly id: string;
  readonly thread: ThreadPlugin;
  /** interfaces are the granted interfaces the plugin provides (unversioned). */
  readonly interfaces: string[];
  readonly grants: HostInterface[];
}

/** CallMessage is a unit of work for a component context; `id` is unique on the host. */
export type CallMessage =
  | { t: 'http'; cx: number; id: number; req: HttpRequestData }
  | { t: 'invoke'; cx: number; id: number; iface: string; fn: string; args: unknown[]; traceparent?: string | undefined }
  | { t: 'probe'; cx: number; id: number };

/** ToWorker is every message the main thread sends a workload thread. */
export type ToWorker =
  /**
   * open: `loopback` is the context's channel to its workload's virtual loopback, when the
   * workload has one; `connections` counts the connections this context holds (shared memory,
   * so the main thread can give them back to the workload's budget if the thread dies).
   */
  | {
      t: 'open';
      cx: number;
      program: ComponentProgram;
      bridge: MessagePort;
      loopback?: MessagePort;
      connections: Int32Array;
    }
  | { t: 'close'; cx: number }
  | CallMessage
  | { t: 'shutdown' };

/** FromWorker is every message a workload thread sends the main thread. */
export type FromWorker =
  | { t: 'log'; cx: number; stream: 'stdout' | 'stderr'; line: string }
  /** record is a JSON log line a local plugin wrote (cx 0: the thread's own plugin copies). */
  | { t: 'record'; cx: number; line: string }
  | { t: 'queued'; id: number }
  | { t: 'instantiating'; id: number }
  | { t: 'begin'; id: number }
  | { t: 'done'; id: number; value: unknown }
  | { t: 'failed'; id: number; error: string; code: string }
  | { t: 'instance-discarded'; cx: number; reason: string }
  /** spans are what a traced call collected (plugin calls, outgoing HTTP, the guest's own), sent when it ends. */
  | { t: 'spans'; cx: number; spans: SpanRecord[] }
  | { t: 'closed'; cx: number };
