/**
 * The transpile worker: runs jco's transpile off the host's main thread, so a cold start
 * (hundreds of milliseconds of CPU for a large component) never stalls the workloads the
 * host is already serving. It loads jco as soon as it starts, then waits for one job.
 */
import { parentPort } from 'node:worker_threads';

const jco = import('@bytecodealliance/jco');
jco.catch(() => undefined);
parentPort!.once('message', async ({ bytes, options }: { bytes: Uint8Array; options: Record<string, unknown> }) => {
  try {
    const { transpile } = await jco;
    const out = (await transpile(bytes, options as never)) as { files: Record<string, Uint8Array> };
    parentPort!.postMessage({ ok: true, files: out.files });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: String((err as Error)?.message ?? err) });
  }
});
