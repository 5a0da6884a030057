/**
 * The workload worker: one per component of a running workload. It instantiates the
 * component with the WASI core (local), wasi:http (local) and proxies of the granted
 * plugins (in the main thread), and serves HTTP requests and export invocations from
 * an instance pool. A runaway guest is stopped by the main thread terminating this worker.
 */
import { parentPort } from 'node:worker_threads';
import { BridgeClient } from '../bridge/client.js';
import type { FromWorker, RpcReply, ToWorker, WorkerInit } from '../bridge/protocol.js';
import { httpImports, serveHttp } from '../http/guest.js';
import { createWasiImports } from '../wasi/index.js';
import { findExport, type Instance, InstancePool } from './pool.js';

const port = parentPort!;
// A worker may be started ahead of time (a spare): it learns its component from the first message.
const init = await new Promise<WorkerInit>((resolve) => {
  port.once('message', (message: ToWorker) => {
    if (message.t === 'init') resolve(message.init);
  });
});
const post = (message: FromWorker) => port.postMessage(message);
const bridge = new BridgeClient(port);

function describe(err: unknown): { error: string; code: string } {
  if (err instanceof WebAssembly.RuntimeError) return { error: `guest trapped: ${err.message}`, code: 'SKIFF_TRAP' };
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { error: err.message, code: typeof code === 'string' ? code : 'SKIFF_GUEST_FAILED' };
  }
  return { error: `guest failed: ${JSON.stringify(err)}`, code: 'SKIFF_GUEST_FAILED' };
}

const wasi = createWasiImports({
  env: init.wasi.env,
  args: init.wasi.args,
  preopens: init.wasi.preopens,
  stdout: (line: string) => post({ t: 'log', stream: 'stdout', line }),
  stderr: (line: string) => post({ t: 'log', stream: 'stderr', line }),
});
const imports = { ...wasi, ...httpImports(init.outgoingHosts), ...bridge.imports(init.shapes) };
const { instantiate } = (await import(init.moduleUrl)) as {
  instantiate(getCore: (name: string) => WebAssembly.Module, imports: unknown): Promise<Instance>;
};
const getCore = (name: string) => {
  const module = init.modules[name];
  if (!module) throw new Error(`core module ${name} missing from the transpile output`);
  return module;
};
const pool = new InstancePool(() => instantiate(getCore, imports), init.maxInstances);

async function withInstance<T>(id: number, run: (instance: Instance) => Promise<T>): Promise<T> {
  // The main thread's timeout runs from when it sent the call; a call that must wait for a
  // free instance pauses it ('queued') and restarts it when an instance takes it ('begin').
  const queued = pool.busy;
  if (queued) post({ t: 'queued', id });
  const instance = await pool.acquire();
  if (queued) post({ t: 'begin', id });
  let healthy = false;
  try {
    const result = await run(instance);
    healthy = true;
    return result;
  } catch (err) {
    // A thrown WIT error value is a normal guest-visible result; anything else broke the instance.
    healthy = !(err instanceof Error);
    throw err;
  } finally {
    if (healthy) pool.release(instance);
    else {
      pool.discard();
      post({ t: 'instance-discarded', reason: 'trap' });
    }
  }
}

async function onHttp(id: number, req: Extract<ToWorker, { t: 'http' }>['req']): Promise<void> {
  try {
    const response = await withInstance(id, async (instance) => {
      const handler = findExport(instance, 'wasi:http/incoming-handler');
      if (!handler || typeof handler.handle !== 'function') {
        throw Object.assign(new Error(`${init.label} does not export wasi:http/incoming-handler`), {
          code: 'SKIFF_NO_HTTP_EXPORT',
        });
      }
      return serveHttp(handler as { handle(r: unknown, o: unknown): unknown }, req);
    });
    post({ t: 'done', id, value: response });
  } catch (err) {
    post({ t: 'failed', id, ...describe(err) });
  }
}

async function onInvoke(id: number, iface: string, fn: string, args: unknown[]): Promise<void> {
  try {
    const value = await withInstance(id, async (instance) => {
      const target = iface === '' ? instance : findExport(instance, iface);
      const f = target?.[fn];
      if (typeof f !== 'function') {
        throw Object.assign(new Error(`${init.label} does not export ${iface}#${fn}`), { code: 'SKIFF_NO_EXPORT' });
      }
      return await (f as (...a: unknown[]) => unknown).apply(target, args);
    });
    post({ t: 'done', id, value });
  } catch (err) {
    if (err instanceof Error) post({ t: 'failed', id, ...describe(err) });
    else post({ t: 'failed', id, error: JSON.stringify(err), code: 'SKIFF_GUEST_ERROR' });
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'rpc-reply':
      bridge.onReply(message as RpcReply);
      break;
    case 'http':
      void onHttp(message.id, message.req);
      break;
    case 'invoke':
      void onInvoke(message.id, message.iface, message.fn, message.args);
      break;
    case 'shutdown':
      // Flush unfinished output lines and close the host files guests still hold.
      wasi.control.close();
      process.exit(0);
      break;
    default:
      break;
  }
});

try {
  await pool.warm();
  post({ t: 'ready' });
} catch (err) {
  post({ t: 'init-failed', ...describe(err) });
}
