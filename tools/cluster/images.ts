/**
 * The images the cluster runs, built offline by images.sh (pause, nats, and Skiff from the
 * Dockerfile) and saved as OCI archives in the cache.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ClusterConfig } from './config.js';
import { ClusterError } from './errors.js';

/** Image is an OCI archive and the name its image has inside. */
export type Image = Readonly<{ archive: string; ref: string }>;

/** Images are what buildImages produced (skiff only when asked for). */
export type Images = Readonly<{ pause: Image; nats: Image; coredns: Image; skiff?: Image }>;

/** parseImages reads images.sh's `NAME=ARCHIVE REF` lines. */
export function parseImages(stdout: string): Record<string, Image> {
  const found: Record<string, Image> = {};
  for (const line of stdout.split('\n')) {
    const m = /^(\w+)=(\S+) (\S+)$/.exec(line.trim());
    if (m) found[m[1]!] = { archive: m[2]!, ref: m[3]! };
  }
  return found;
}

/** IMAGES_TIMEOUT_MS bounds a cold build (debootstrap, npm ci inside the Dockerfile's stages). */
const IMAGES_TIMEOUT_MS = 30 * 60_000;

/** runScript runs images.sh, passing its progress lines (stderr) to `log`, and resolves with its stdout. */
function runScript(args: readonly string[], env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: IMAGES_TIMEOUT_MS });
    let stdout = '';
    const tail: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 30) tail.shift();
      if (line.startsWith('images.sh:')) log(line);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else {
        const how = signal ? `killed by ${signal}` : `exit ${code}`;
        const output = tail.length > 0 ? tail.join('\n') : '(no output)';
        reject(new ClusterError('SKIFF_CLUSTER_COMMAND', `images.sh failed (${how}):\n${output}`));
      }
    });
  });
}

/** buildImages runs tools/cluster/images.sh (minutes cold, seconds warm); its progress goes to `log`. */
export async function buildImages(
  config: ClusterConfig,
  stateDir: string,
  withSkiff: boolean,
  log: (line: string) => void,
): Promise<Images> {
  const script = join(config.repo, 'tools', 'cluster', 'images.sh');
  const args = [script, join(stateDir, 'images'), ...(withSkiff ? [] : ['--without-skiff'])];
  const env = { ...process.env, SKIFF_K8S_BIN_DIR: config.binDir };
  const found = parseImages(await runScript(args, env, log));
  const { pause, nats, coredns, skiff } = found;
  if (!pause || !nats || !coredns || (withSkiff && !skiff)) {
    throw new ClusterError(
      'SKIFF_CLUSTER_COMMAND',
      `images.sh did not report every image: ${Object.keys(found).join(', ')}`,
    );
  }
  return withSkiff && skiff ? { pause, nats, coredns, skiff } : { pause, nats, coredns };
}
