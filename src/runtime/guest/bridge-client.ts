/**
 * The workload-thread half of the bridge: proxy functions and resource classes that
 * forward a guest's plugin calls to the main thread over the context's own channel. Every
 * proxied call returns a Promise; the engine marks those imports async so the guest
 * suspends (JSPI) while it is in flight.
 */
import type { MessagePort } from 'node:worker_threads';
import { HANDLE_KEY, type HandleRef, type InterfaceShape, type RpcCall, type RpcReply } from '../channel/bridge.js';
import { formatTraceparent } from '../../telemetry/tracing/records.js';
import { inputStream, outputStream, pollable } from '../shared/shim.js';
import type { ThreadScope } from './trace.js';

/** ImportFragment maps unversioned interface names to the functions and classes a guest imports. */
type ImportFragment = Record<string, Record<string, unknown>>;

type Pending = { resolve(v: unknown): void; reject(e: unknown): void };
type Proxy = { [HANDLE_KEY]: number };
type ProxyClass = new (token: symbol, handle: number) => Proxy;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const FROM_HANDLE = Symbol('from-handle');
/** STREAM_PERMIT is how many bytes a proxied output stream accepts per check-write. */
const STREAM_PERMIT = 1n << 20n;

/** BridgeError is a host-side failure of a proxied call; it traps the calling instance. */
export class BridgeError extends Error {
  override readonly name = 'BridgeError';
}

/** BridgeClient forwards plugin calls from a worker to the main thread. */
export class BridgeClient {
  readonly #port: MessagePort;
  readonly #pending = new Map<number, Pending>();
  readonly #classes = new Map<string, ProxyClass>();
  readonly #live = new Map<number, WeakRef<object>>();
  // Forget the weak entry of a proxy the guest no longer holds, so the map does not grow forever.
  readonly #forget = new FinalizationRegistry<number>((handle) => {
    if (this.#live.get(handle)?.deref() !== undefined) return;
    this.#live.delete(handle);
    // Nothing in this worker holds the resource any more (e.g. its instance trapped): release it.
    this.#send({ id: 0, op: 'drop', handle });
  });
  #nextCall = 1;
  #nextHandle = -1;
  readonly #scope: ThreadScope | undefined;

  /** A `scope` makes each call carry the traceparent of the span it runs under. */
  constructor(port: MessagePort, scope?: ThreadScope) {
    this.#port = port;
    this.#scope = scope;
    port.on('message', (reply: RpcReply) => this.#onReply(reply));
  }

  /** close fails the calls in flight and closes the channel. */
  close(): void {
    this.failAll('the component context was closed');
    this.#port.close();
  }

  #onReply(reply: RpcReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (reply.ok) pending.resolve(this.#decode(reply.value));
    else if (reply.hostError !== undefined) pending.reject(new BridgeError(reply.hostError));
    else pending.reject(this.#decode(reply.thrown));
  }

  /** failAll rejects every call in flight (the main thread went away). */
  failAll(reason: string): void {
    for (const p of this.#pending.values()) p.reject(new BridgeError(reason));
    this.#pending.clear();
  }

  /** call sends a call and resolves with its decoded result. */
  call(message: DistributiveOmit<RpcCall, 't' | 'id'>): Promise<unknown> {
    const id = this.#nextCall++;
    const trace = this.#scope?.current();
    const tp = trace ? { tp: formatTraceparent(trace) } : {};
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#port.postMessage({ t: 'rpc', id, ...message, ...tp, args: this.#encode((message as { args?: unknown[] }).args) });
    });
  }

  #send(message: DistributiveOmit<RpcCall, 't'>): void {
    this.#port.postMessage({ t: 'rpc', ...message });
  }

  /** imports builds the proxy import fragment for the given interface shapes. */
  imports(shapes: Record<string, InterfaceShape>): ImportFragment {
    const fragment: ImportFragment = {};
    for (const [iface, shape] of Object.entries(shapes)) {
      const members: Record<string, unknown> = {};
      for (const name of shape.functions) {
        members[name] = (...args: unknown[]) => this.call({ op: 'call', iface, name, args });
      }
      for (const [cls, { statics, methods }] of Object.entries(shape.classes)) {
        members[cls] = this.#proxyClass(iface, cls, statics, methods);
      }
      fragment[iface] = members;
    }
    return fragment;
  }

  #proxyClass(iface: string, cls: string, statics: string[], methods: string[]): ProxyClass {
    const client = this;
    const Proxied = class {
      [HANDLE_KEY]: number;
      constructor(...args: unknown[]) {
        if (args[0] === FROM_HANDLE) {
          this[HANDLE_KEY] = args[1] as number;
          return;
        }
        const handle = client.#nextHandle--;
        this[HANDLE_KEY] = handle;
        client.#send({ id: 0, op: 'new', iface, cls, handle, args: client.#encode(args) });
      }
      [Symbol.dispose](): void {
        client.#send({ id: 0, op: 'drop', handle: this[HANDLE_KEY] });
      }
    } as unknown as ProxyClass & Record<string, unknown>;
    Object.defineProperty(Proxied, 'name', { value: cls });
    for (const name of methods) {
      Object.defineProperty(Proxied.prototype, name, {
        value(this: Proxy, ...args: unknown[]) {
          return client.call({ op: 'method', handle: this[HANDLE_KEY], name, args });
        },
        // Configurable: the tracing hook wraps methods in place.
        configurable: true,
      });
    }
    for (const name of statics) {
      (Proxied as Record<string, unknown>)[name] = (...args: unknown[]) =>
        client.call({ op: 'static', iface, cls, name, args });
    }
    this.#classes.set(`${iface}|${cls}`, Proxied);
    return Proxied;
  }

  #encode(values: unknown[] | undefined): unknown[] {
    return (values ?? []).map((v) => this.#encodeOne(v));
  }

  #encodeOne(value: unknown): unknown {
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
    if (Array.isArray(value)) return value.map((v) => this.#encodeOne(v));
    const handle = (value as Partial<Proxy>)[HANDLE_KEY];
    if (typeof handle === 'number') return { [HANDLE_KEY]: handle };
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new BridgeError(`cannot pass a ${proto?.constructor?.name ?? 'resource'} to a plugin`);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.#encodeOne(v);
    return out;
  }

  #decode(value: unknown): unknown {
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
    if (Array.isArray(value)) return value.map((v) => this.#decode(v));
    const ref = value as Partial<HandleRef>;
    if (typeof ref[HANDLE_KEY] === 'number') return this.#wrap(ref[HANDLE_KEY], ref.cls ?? '');
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.#decode(v);
    return out;
  }

  #wrap(handle: number, cls: string): object {
    const known = this.#live.get(handle)?.deref();
    if (known) return known;
    let obj: object;
    if (cls === 'io|InputStream') obj = this.#inputStream(handle);
    else if (cls === 'io|OutputStream') obj = this.#outputStream(handle);
    else if (cls === 'io|Pollable') obj = this.#pollable(handle);
    else {
      const Proxied = this.#classes.get(cls);
      if (!Proxied) throw new BridgeError(`plugin returned a resource of unknown class ${cls}`);
      obj = new Proxied(FROM_HANDLE, handle);
    }
    this.#live.set(handle, new WeakRef(obj));
    this.#forget.register(obj, handle);
    return obj;
  }

  #method(handle: number, name: string, args: unknown[] = []): Promise<unknown> {
    return this.call({ op: 'method', handle, name, args });
  }

  #inputStream(handle: number): object {
    return inputStream({
      read: (len) => this.#method(handle, 'read', [len]) as unknown as Uint8Array,
      blockingRead: (len) => this.#method(handle, 'blockingRead', [len]) as Promise<Uint8Array>,
      skip: (len) => this.#method(handle, 'skip', [len]) as unknown as bigint,
      blockingSkip: (len) => this.#method(handle, 'blockingSkip', [len]) as Promise<bigint>,
      drop: () => this.#send({ id: 0, op: 'drop', handle }),
    }) as object;
  }

  #outputStream(handle: number): object {
    // A failed write is reported by this stream's next operation, never by another stream's.
    let failure: unknown;
    const fail = () => {
      if (failure !== undefined) {
        const err = failure;
        failure = undefined;
        throw err;
      }
    };
    const write = (bytes: Uint8Array) => {
      this.call({ op: 'stream-write', handle, bytes: bytes.slice() }).catch((err) => {
        failure = err instanceof BridgeError ? { tag: 'closed' } : err;
      });
    };
    return outputStream({
      checkWrite: () => {
        fail();
        return STREAM_PERMIT;
      },
      write,
      blockingWriteAndFlush: async (bytes) => {
        fail();
        await this.call({ op: 'stream-write', handle, bytes: bytes.slice() });
      },
      flush: fail,
      blockingFlush: fail,
      drop: () => this.#send({ id: 0, op: 'drop', handle }),
    }) as object;
  }

  #pollable(handle: number): object {
    let ready = false;
    return pollable({
      ready: () => ready,
      wait: async () => {
        await this.#method(handle, 'block');
        ready = true;
      },
    });
  }
}
