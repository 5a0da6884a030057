/**
 * The images the cluster runs, built offline by images.sh (pause, nats, and Skiff from the
 * Dockerfile) and saved as OCI archives in the cache.
 */
import { join } from 'node:path';
import type { ClusterConfig } from './config.js';
import { ClusterError } from './errors.js';
import { run } from './sh.js';

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

/** buildImages runs tools/cluster/images.sh (minutes cold, seconds warm). */
export async function buildImages(config: ClusterConfig, stateDir: string, withSkiff: boolean): Promise<Images> {
  const script = join(config.repo, 'tools', 'cluster', 'images.sh');
  const args = [script, join(stateDir, 'images'), ...(withSkiff ? [] : ['--without-skiff'])];
  const env = { ...process.env, SKIFF_K8S_BIN_DIR: config.binDir };
  const found = parseImages(await run('bash', args, { timeoutMs: 30 * 60_000, env }));
  const { pause, nats, coredns, skiff } = found;
  if (!pause || !nats || !coredns || (withSkiff && !skiff)) {
    throw new ClusterError(
      'SKIFF_CLUSTER_COMMAND',
      `images.sh did not report every image: ${Object.keys(found).join(', ')}`,
    );
  }
  return withSkiff && skiff ? { pause, nats, coredns, skiff } : { pause, nats, coredns };
}
