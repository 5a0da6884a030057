/**
 * The entry module of a workload thread. A thread serves the component contexts the main
 * thread opens on it (`open`, `close`), runs their calls, and reports results. The main
 * thread leases a thread to one component at a time while that component has calls in
 * flight, so a runaway guest stopped by terminating this thread fails only its own calls.
 */
import { parentPort } from 'node:worker_threads';
import type { CallMessage, FromWorker, ToWorker } from '../channel/messages.js';
import { describeFailure, GuestContext } from './context.js';
import { TraceScope } from '../../telemetry/tracing/scope.js';
import { ThreadPlugins } from './plugins.js';
import type { CallTrace } from './trace.js';

const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);
const contexts = new Map<number, GuestContext>();
const plugins = new ThreadPlugins(post);
const scope = new TraceScope<CallTrace>();

async function run(message: CallMessage): Promise<void> {
  const context = contexts.get(message.cx);
  try {
    if (!context)
      throw Object.assign(new Error(`component context ${message.cx} is not open`), { code: 'SKIFF_NO_CONTEXT' });
    let value: unknown;
    if (message.t === 'http') value = await context.http(message.id, message.req);
    else if (message.t === 'invoke')
      value = await context.invoke(message.id, message.iface, message.fn, message.args, message.traceparent);
    else await context.probe();
    post({ t: 'done', id: message.id, value });
  } catch (err) {
    post({ t: 'failed', id: message.id, ...describeFailure(err) });
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'open':
      contexts.set(
        message.cx,
        new GuestContext(message.cx, message.program, message.bridge, post, plugins, scope, {
          loopback: message.loopback,
          connections: message.connections,
        }),
      );
      break;
    case 'close':
      contexts.get(message.cx)?.close();
      contexts.delete(message.cx);
      post({ t: 'closed', cx: message.cx });
      break;
    case 'http':
    case 'invoke':
    case 'probe':
      void run(message);
      break;
    case 'shutdown':
      // Flush unfinished output lines, close the host files guests still hold and the plugin copies' connections.
      for (const context of contexts.values()) context.close();
      void plugins.stop().finally(() => process.exit(0));
      break;
    default:
      break;
  }
});
