/**
 * Spans inside a workload thread. A call that arrives with a traceparent runs under a
 * CallTrace; the one hook where a guest's calls cross into plugins (traceImports) and the
 * outgoing HTTP handler open child spans under it and collect them as SpanRecords, which
 * the context posts to the main thread when the call ends. Without a traceparent nothing
 * here costs more than one AsyncLocalStorage lookup per plugin call.
 */
import type { PluginTracer } from '../../telemetry/tracing/plugin-tracer.js';
import type { TraceScope } from '../../telemetry/tracing/scope.js';
import {
  type AttributeValue,
  formatTraceparent,
  newSpanId,
  parseTraceparent,
  type SpanKindName,
  type SpanRecord,
  type TraceParent,
} from '../../telemetry/tracing/records.js';
import type { InterfaceShape } from '../channel/bridge.js';

/** MAX_SPANS_PER_CALL bounds the spans one call collects; later ones are dropped. */
export const MAX_SPANS_PER_CALL = 256;

/** CallTrace is the current span inside a workload thread, and the spans its call collected so far. */
export interface CallTrace extends TraceParent {
  readonly spans: SpanRecord[];
}

/** ThreadScope is the workload thread's TraceScope. */
export type ThreadScope = TraceScope<CallTrace>;

/** callTrace returns the CallTrace of a call that brought `traceparent`, or undefined (not traced, or not sampled). */
export function callTrace(traceparent: string | undefined): CallTrace | undefined {
  const parent = parseTraceparent(traceparent);
  return parent?.sampled ? { ...parent, spans: [] } : undefined;
}

function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** ChildSpan is a span begun under the current one: its traceparent, its scope for nested work, and its end. */
export interface ChildSpan {
  readonly trace: CallTrace;
  readonly traceparent: string;
  end(error?: string, attributes?: Record<string, AttributeValue>): void;
}

/** childSpan begins a span under `parent`; `end` records it in the call's spans. */
export function childSpan(
  parent: CallTrace,
  name: string,
  kind: SpanKindName,
  attributes: Record<string, AttributeValue>,
): ChildSpan {
  const spanId = newSpanId();
  const startMs = nowMs();
  const trace: CallTrace = { traceId: parent.traceId, spanId, sampled: true, spans: parent.spans };
  let ended = false;
  return {
    trace,
    traceparent: formatTraceparent(trace),
    end(error, more) {
      if (ended) return;
      ended = true;
      if (parent.spans.length >= MAX_SPANS_PER_CALL) return;
      parent.spans.push({
        traceId: parent.traceId,
        spanId,
        parentSpanId: parent.spanId,
        name,
        kind,
        startMs,
        endMs: nowMs(),
        attributes: { ...attributes, ...more },
        status: error === undefined ? { code: 'unset' } : { code: 'error', message: error.slice(0, 512) },
      });
    },
  };
}

/** errorText describes what a plugin function threw: a WIT error value's tag, or an Error's message. */
function errorText(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (thrown && typeof thrown === 'object' && 'tag' in thrown) return String((thrown as { tag: unknown }).tag);
  return String(thrown);
}

/** traced wraps `fn` so that each call under a CallTrace is a child span named `name`. */
function traced(scope: ThreadScope, name: string, iface: string, fn: Function): Function {
  return function (this: unknown, ...args: unknown[]) {
    const parent = scope.current();
    if (!parent) return fn.apply(this, args);
    const span = childSpan(parent, name, 'client', { 'rpc.system': 'wasi', 'rpc.service': iface });
    let result: unknown;
    try {
      result = scope.run(span.trace, () => fn.apply(this, args));
    } catch (thrown) {
      span.end(errorText(thrown));
      throw thrown;
    }
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      return (result as Promise<unknown>).then(
        (value) => {
          span.end();
          return value;
        },
        (thrown) => {
          span.end(errorText(thrown));
          throw thrown;
        },
      );
    }
    span.end();
    return result;
  };
}

const WRAPPED = Symbol('skiff.traced');

/**
 * traceImports is the hook between a guest and its plugins: for every plugin interface in
 * `shapes` it replaces the import fragment entry with one whose functions, static functions
 * and resource methods open a child span per call (`iface#name`). Resource classes keep
 * their identity (jco checks it): their prototypes' methods are wrapped in place, once.
 */
export function traceImports(
  imports: Record<string, unknown>,
  shapes: Record<string, InterfaceShape>,
  scope: ThreadScope,
  skip: ReadonlySet<string> = new Set(),
): void {
  for (const [iface, shape] of Object.entries(shapes)) {
    const members = imports[iface] as Record<string, unknown> | undefined;
    if (!members || skip.has(iface)) continue;
    const copy: Record<string, unknown> = { ...members };
    for (const name of shape.functions) {
      const fn = members[name];
      if (typeof fn === 'function') copy[name] = traced(scope, `${iface}#${name}`, iface, fn);
    }
    for (const [cls, { statics, methods }] of Object.entries(shape.classes)) {
      const Cls = members[cls] as (Function & Record<string | symbol, unknown>) | undefined;
      if (typeof Cls !== 'function' || Cls[WRAPPED]) continue;
      Object.defineProperty(Cls, WRAPPED, { value: true });
      for (const name of statics) {
        const fn = Cls[name];
        if (typeof fn === 'function') Cls[name] = traced(scope, `${iface}#${cls}.${name}`, iface, fn);
      }
      const proto = Cls.prototype as Record<string, unknown>;
      for (const name of methods) {
        const fn = proto[name];
        if (typeof fn !== 'function') continue;
        Object.defineProperty(proto, name, {
          value: traced(scope, `${iface}#${cls}.${name}`, iface, fn),
          writable: true,
          configurable: true,
        });
      }
    }
    imports[iface] = copy;
  }
}

/**
 * threadPluginTracer is the PluginTracer of plugin copies in a workload thread: child spans
 * go into the traced call's spans. `follow` just runs `fn` (a thread's plugin copies receive
 * nothing to continue: deliveries to guests go through the main thread).
 */
export function threadPluginTracer(scope: ThreadScope): PluginTracer {
  return {
    traceparent() {
      const current = scope.current();
      return current && formatTraceparent(current);
    },
    async span(name, kind, attributes, fn) {
      const parent = scope.current();
      if (!parent) return fn(undefined);
      const span = childSpan(parent, name, kind, attributes);
      try {
        const value = await scope.run(span.trace, () => fn(span.traceparent));
        span.end();
        return value;
      } catch (err) {
        span.end(errorText(err));
        throw err;
      }
    },
    follow: (_traceparent, _name, _kind, _attributes, fn) => fn(),
    record(span) {
      const current = scope.current();
      if (current && span.traceId === current.traceId && current.spans.length < MAX_SPANS_PER_CALL) {
        current.spans.push(span);
      }
    },
  };
}
