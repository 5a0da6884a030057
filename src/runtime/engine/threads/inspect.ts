/**
 * The inspect worker: checks untrusted component bytes and reads their import and export
 * names off the host's main thread, one job at a time. The main-thread side (inspector.ts)
 * bounds each job in time and this thread's heap, and replaces the thread when it is stuck.
 */
import { parentPort } from 'node:worker_threads';
import { checkComponentBytes, componentWorldNames } from '../bytes.js';
import { parseWorldImports } from '../names.js';

/** InspectJob is one request to the inspect worker. */
export interface InspectJob {
  readonly id: number;
  readonly kind: 'check' | 'wit';
  readonly bytes: Uint8Array;
  readonly what: string;
}

async function run(job: InspectJob): Promise<unknown> {
  if (job.kind === 'check') {
    checkComponentBytes(job.bytes, job.what);
    try {
      return componentWorldNames(job.bytes);
    } catch {
      return undefined; // an encoding the reader does not know: the caller asks for the WIT
    }
  }
  const { componentWit } = await import('@bytecodealliance/jco');
  let wit: string;
  try {
    wit = await componentWit(job.bytes);
  } catch (err) {
    throw new Error(`${job.what} cannot be parsed: ${String((err as Error)?.message ?? err)}`);
  }
  return { imports: parseWorldImports(wit), exports: parseWorldImports(wit, 'export').map((e) => e.name) };
}

parentPort!.on('message', async (job: InspectJob) => {
  try {
    parentPort!.postMessage({ id: job.id, ok: true, value: await run(job) });
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    parentPort!.postMessage({
      id: job.id,
      ok: false,
      code: typeof e?.code === 'string' ? e.code : undefined,
      message: String(e?.message ?? err),
    });
  }
});
