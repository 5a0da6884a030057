/**
 * The cluster's image registry: Debian's docker-registry speaking plain HTTP on this
 * machine's address, so both this machine (`skiff push --insecure`) and pods reach it.
 * Its storage lives in the state folder and goes with it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePorts } from '../testenv/ports.js';
import { type Managed, startProcess, waitUntil } from '../testenv/process.js';
import { notReady } from './wait.js';

/** Registry is the running registry and its `host:port`. */
export type Registry = Readonly<{ process: Managed; address: string }>;

/** startRegistry starts docker-registry on `ip` and resolves once /v2/ answers. */
export async function startRegistry(ip: string, stateDir: string, deadline: number): Promise<Registry> {
  const [port] = (await freePorts(1)) as [number];
  const root = join(stateDir, 'registry');
  await mkdir(root, { recursive: true });
  const config = join(stateDir, 'registry.yaml');
  await writeFile(
    config,
    stringify({
      version: 0.1,
      log: { level: 'warn' },
      storage: { filesystem: { rootdirectory: root }, delete: { enabled: true } },
      http: { addr: `${ip}:${port}` },
    }),
  );
  const p = startProcess('docker-registry', 'docker-registry', ['serve', config], join(stateDir, 'registry.log'));
  const address = `${ip}:${port}`;
  const ready = async () => (await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(2_000) })).ok;
  const outcome = await waitUntil(p, ready, deadline);
  if (outcome !== 'ready') throw await notReady(p, 'answering on /v2/', outcome);
  return { process: p, address };
}
