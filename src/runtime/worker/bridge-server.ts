/**
 * The main-thread half of the bridge: runs plugin functions a worker asks for, keeps the
 * resources they return in a handle table, and encodes values for the trip back.
 */
import type { Logger } from '../../telemetry/logger.js';
import { parseTraceparent } from '../../telemetry/tracing/records.js';
import type { TraceScope } from '../../telemetry/tracing/scope.js';
import type { ImportFragment } from '../plugin.js';
import { io } from '../shared/shim.js';
import { HANDLE_KEY, type HandleRef, type RpcCall, type RpcReply } from '../channel/bridge.js';

const streams = io.streams as { InputStream: Function; OutputStream: Function };
const Pollable = (io.poll as { Pollable: Function }).Pollable;

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** BridgeServer serves one worker's calls into the plugins bound for its component. */
export class BridgeServer {
  readonly #fragment: ImportFragment;
  readonly #logger: Logger;
  readonly #handles = new Map<number, object>();
  readonly #ids = new WeakMap<object, number>();
  readonly #classNames = new Map<Function, string>();
  #next = 1;
  readonly #scope: TraceScope | undefined;
  /** #writes chains stream writes so that every later call runs after them, in order. */
  #writes: Promise<unknown> = Promise.resolve();

  /** A `scope` runs each traced call under the span the worker sent (a plugin may read it, e.g. to propagate it). */
  constructor(fragment: ImportFragment, logger: Logger, scope?: TraceScope) {
    this.#fragment = fragment;
    this.#scope = scope;
    this.#logger = logger;
    for (const [iface, members] of Object.entries(fragment)) {
      for (const [name, value] of Object.entries(members)) {
        if (typeof value === 'function' && value.prototype) this.#classNames.set(value, `${iface}|${name}`);
      }
    }
  }

  /** size is the number of live handles (for leak checks). */
  get size(): number {
    return this.#handles.size;
  }

  /** handle runs one call and resolves with the reply to send, or undefined for one-way calls. */
  async handle(call: RpcCall): Promise<RpcReply | undefined> {
    try {
      let value: unknown;
      if (call.op === 'stream-write') {
        const write = this.#writes.then(() => this.#run(call));
        this.#writes = write.catch(() => undefined);
        value = await write;
      } else {
        // Writes a guest issued earlier land before anything it does next (e.g. finish).
        await this.#writes;
        const tp = 'tp' in call ? call.tp : undefined;
        value = await (this.#scope && tp ? this.#scope.run(parseTraceparent(tp), () => this.#run(call)) : this.#run(call));
      }
      return call.id === 0 ? undefined : { t: 'rpc-reply', id: call.id, ok: true, value: this.encode(value) };
    } catch (thrown) {
      if (thrown instanceof Error) {
        this.#logger.error({ err: thrown, op: call.op }, 'plugin call failed');
        if (call.id === 0) return undefined;
        return { t: 'rpc-reply', id: call.id, ok: false, thrown: undefined, hostError: thrown.message };
      }
      if (call.id === 0) return undefined;
      return { t: 'rpc-reply', id: call.id, ok: false, thrown: this.encode(thrown) };
    }
  }

  /** dispose drops every handle still held (the worker is gone). */
  dispose(): void {
    for (const obj of this.#handles.values()) {
      try {
        (obj as { [Symbol.dispose]?: () => void })[Symbol.dispose]?.();
      } catch {
        // a resource that fails to drop must not keep the others alive
      }
    }
    this.#handles.clear();
  }

  async #run(call: RpcCall): Promise<unknown> {
    switch (call.op) {
      case 'call': {
        const fn = this.#fragment[call.iface]?.[call.name];
        if (typeof fn !== 'function') throw new Error(`${call.iface}#${call.name} is not provided`);
        return fn(...this.decode(call.args));
      }
      case 'static': {
        const cls = this.#fragment[call.iface]?.[call.cls] as Record<string, Function> | undefined;
        const fn = cls?.[call.name];
        if (typeof fn !== 'function') throw new Error(`${call.iface}#${call.cls}.${call.name} is not provided`);
        return fn.apply(cls, this.decode(call.args));
      }
      case 'new': {
        const Cls = this.#fragment[call.iface]?.[call.cls] as (new (...a: unknown[]) => object) | undefined;
        if (typeof Cls !== 'function') throw new Error(`${call.iface}#${call.cls} is not provided`);
        const obj = new Cls(...this.decode(call.args));
        this.#handles.set(call.handle, obj);
        this.#ids.set(obj, call.handle);
        return undefined;
      }
      case 'method': {
        const self = this.#handles.get(call.handle) as Record<string, Function> | undefined;
        if (!self) throw new Error(`resource handle ${call.handle} is not live`);
        const fn = self[call.name];
        if (typeof fn !== 'function') throw new Error(`resource has no method ${call.name}`);
        return fn.apply(self, this.decode(call.args));
      }
      case 'stream-write':
        return this.#streamWrite(call.handle, call.bytes);
      case 'drop': {
        const obj = this.#handles.get(call.handle);
        this.#handles.delete(call.handle);
        if (obj) this.#ids.delete(obj);
        (obj as { [Symbol.dispose]?: () => void } | undefined)?.[Symbol.dispose]?.();
        return undefined;
      }
    }
  }

  async #streamWrite(handle: number, bytes: Uint8Array): Promise<void> {
    const stream = this.#handles.get(handle) as
      | { checkWrite(): bigint; write(b: Uint8Array): void; subscribe(): { block(): unknown } }
      | undefined;
    if (!stream) throw new Error(`stream handle ${handle} is not live`);
    let offset = 0;
    while (offset < bytes.byteLength) {
      const permit = Number(stream.checkWrite());
      if (permit === 0) {
        await stream.subscribe().block();
        continue;
      }
      const n = Math.min(permit, bytes.byteLength - offset);
      stream.write(bytes.subarray(offset, offset + n));
      offset += n;
    }
  }

  /** encode turns resources into handle references, recursively. */
  encode(value: unknown): unknown {
    if (value === null || typeof value !== 'object') return value;
    if (ArrayBuffer.isView(value)) return value;
    if (Array.isArray(value)) return value.map((v) => this.encode(v));
    if (isPlain(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.encode(v);
      return out;
    }
    return this.#ref(value);
  }

  /** decode turns handle references back into the resources they name, recursively. */
  decode(values: unknown[]): unknown[] {
    return values.map((v) => this.#decodeOne(v));
  }

  #decodeOne(value: unknown): unknown {
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
    if (Array.isArray(value)) return value.map((v) => this.#decodeOne(v));
    const id = (value as Partial<HandleRef>)[HANDLE_KEY];
    if (typeof id === 'number') {
      const obj = this.#handles.get(id);
      if (!obj) throw new Error(`resource handle ${id} is not live`);
      return obj;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.#decodeOne(v);
    return out;
  }

  #ref(obj: object): HandleRef {
    let id = this.#ids.get(obj);
    if (id === undefined) {
      id = this.#next++;
      this.#handles.set(id, obj);
      this.#ids.set(obj, id);
    }
    return { [HANDLE_KEY]: id, cls: this.#classOf(obj) };
  }

  #classOf(obj: object): string {
    if (obj instanceof streams.InputStream) return 'io|InputStream';
    if (obj instanceof streams.OutputStream) return 'io|OutputStream';
    if (obj instanceof Pollable) return 'io|Pollable';
    for (let proto = Object.getPrototypeOf(obj); proto; proto = Object.getPrototypeOf(proto)) {
      const name = this.#classNames.get(proto.constructor);
      if (name) return name;
    }
    throw new Error(`a plugin returned an object of unknown class ${obj.constructor?.name ?? '?'}`);
  }
}
