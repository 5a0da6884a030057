/**
 * LocalKubelet plays the kubelet's part for host pods on the test API server (which has no
 * kubelet): for every host pod the operator creates it runs the pod's own `skiff host`
 * command line as a local process (ports moved to free ones, the downward API filled in),
 * reports the pod Running with its IP, and on deletion sends SIGTERM, waits for the exit and
 * removes the pod — the kubelet's contract, with real hosts. Secret volumes are written into
 * local directories the pod's arguments are pointed at. The real-kubelet tier is `e2e`.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliRun, runCli } from '../support/cli.js';
import type { Manifest, Stack } from './stack.js';

interface Running {
  uid: string;
  run: CliRun;
  httpPort?: number;
  terminating?: boolean;
}

/** podIp is this machine's first non-loopback IPv4 address: what LocalKubelet reports as pod IPs. */
export function podIp(): string {
  const ip = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (!ip) throw new Error('this machine has no non-loopback IPv4 address for pod IPs');
  return ip;
}

/** LocalKubelet runs host pods of one namespace as local processes. */
export class LocalKubelet {
  readonly #stack: Stack;
  readonly #ip: string;
  readonly #pods = new Map<string, Running>();
  /** #launching holds pods whose Secret volumes are being fetched. */
  readonly #launching = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(stack: Stack, ip: string) {
    this.#stack = stack;
    this.#ip = ip;
  }

  /** start begins following the namespace's host pods. */
  start(): void {
    this.#timer = setInterval(() => void this.#sync(), 100);
  }

  /** running lists pod names with a live host process. */
  running(): string[] {
    return [...this.#pods.entries()].filter(([, r]) => r.run.child.exitCode === null).map(([n]) => n);
  }

  /** httpPort is the local HTTP port of a pod's host. */
  httpPort(pod: string): number | undefined {
    return this.#pods.get(pod)?.httpPort;
  }

  /** dataDir is the local directory standing in for a pod's `--data-dir` emptyDir. */
  dataDir(pod: string): string {
    return join(tmpdir(), `skiff-kubelet-${process.pid}`, pod, 'data');
  }

  /** output is a pod's host log so far. */
  output(pod: string): string {
    return this.#pods.get(pod)?.run.output() ?? '';
  }

  /** stop kills every host process. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all([...this.#pods.values()].map((r) => r.run.stop()));
    await rm(join(tmpdir(), `skiff-kubelet-${process.pid}`), { recursive: true, force: true });
  }

  async #sync(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const path = `/api/v1/namespaces/${this.#stack.namespace}/pods?labelSelector=runtime.skiff.dev/hostconfig`;
      const res = await this.#stack.cluster.http.send('GET', path);
      if (res.status !== 200) return;
      const pods: Manifest[] = res.body.items;
      const seen = new Set<string>();
      for (const pod of pods) {
        const name = pod.metadata.name as string;
        seen.add(name);
        const running = this.#pods.get(name);
        if (!running) {
          if (!this.#launching.has(name)) void this.#launch(pod);
        } else if (pod.metadata.deletionTimestamp && !running.terminating) void this.#terminate(name, running);
      }
      for (const [name, r] of this.#pods)
        if (!seen.has(name) && r.run.child.exitCode === null) r.run.child.kill('SIGKILL');
    } finally {
      this.#busy = false;
    }
  }

  /**
   * #secretVolumes writes the pod's Secret volumes into local directories, as the kubelet
   * would, and returns each mount path with its directory (undefined while a Secret is missing).
   */
  async #secretVolumes(pod: Manifest): Promise<[string, string][] | undefined> {
    const container = pod.spec.containers[0];
    const out: [string, string][] = [];
    for (const volume of (pod.spec.volumes ?? []) as { name: string; secret?: { secretName: string } }[]) {
      if (!volume.secret) continue;
      const mount = (container.volumeMounts ?? []).find((m: { name: string }) => m.name === volume.name);
      if (!mount) continue;
      const path = `/api/v1/namespaces/${pod.metadata.namespace}/secrets/${volume.secret.secretName}`;
      const res = await this.#stack.cluster.http.send('GET', path);
      if (res.status !== 200) return undefined;
      const dir = mkdtempSync(join(tmpdir(), `skiff-kubelet-${volume.name}-`));
      for (const [key, value] of Object.entries((res.body.data ?? {}) as Record<string, string>)) {
        writeFileSync(join(dir, key), Buffer.from(value, 'base64'), { mode: 0o600 });
      }
      out.push([mount.mountPath, dir]);
    }
    return out;
  }

  async #launch(pod: Manifest): Promise<void> {
    const name = pod.metadata.name as string;
    this.#launching.add(name);
    try {
      const volumes = await this.#secretVolumes(pod);
      if (volumes) this.#run(pod, volumes);
    } finally {
      this.#launching.delete(name);
    }
  }

  #run(pod: Manifest, volumes: [string, string][]): void {
    const name = pod.metadata.name as string;
    const container = pod.spec.containers[0];
    const env: Record<string, string> = { SKIFF_LOG_LEVEL: 'info' };
    const fields: Record<string, string> = {
      'metadata.name': name,
      'metadata.namespace': pod.metadata.namespace,
      'metadata.uid': pod.metadata.uid,
      'status.podIP': this.#ip,
    };
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.fieldRef) env[e.name] = fields[e.valueFrom.fieldRef.fieldPath] ?? '';
    }
    // Paths inside the container image do not exist here.
    delete env.SKIFF_CACHE;
    delete env.SKIFF_WORKDIR;
    delete env.SKIFF_SECRETDIR;
    const local = (a: string) => volumes.reduce((out, [mount, dir]) => out.replace(mount, dir), a);
    const args = (container.args as string[]).map((a) => local(a.replace('$(SKIFF_POD_NAME)', name)));
    for (const flag of ['--port', '--metrics-port']) {
      const i = args.indexOf(flag);
      if (i >= 0) args[i + 1] = '0';
    }
    // The pod's data directory (an emptyDir): a fresh local directory per pod, like the kubelet's.
    const dataDir = args.indexOf('--data-dir');
    if (dataDir >= 0) args[dataDir + 1] = this.dataDir(name);
    args.push('--bind', this.#ip);
    const run = runCli(args, env);
    const entry: Running = { uid: pod.metadata.uid, run };
    this.#pods.set(name, entry);
    void run
      .waitFor(/ready; http port (\d+)/, 60_000)
      .then(async (m) => {
        entry.httpPort = Number(m[1]);
        await this.#stack.cluster.http.send(
          'PATCH',
          `/api/v1/namespaces/${pod.metadata.namespace}/pods/${name}/status`,
          {
            status: {
              phase: 'Running',
              podIP: this.#ip,
              podIPs: [{ ip: this.#ip }],
              conditions: [{ type: 'Ready', status: 'True' }],
            },
          },
          'application/merge-patch+json',
        );
      })
      .catch(() => undefined);
  }

  async #terminate(name: string, r: Running): Promise<void> {
    r.terminating = true;
    await r.run.stop();
    await this.#stack.cluster.http.send('DELETE', `/api/v1/namespaces/${this.#stack.namespace}/pods/${name}`, {
      gracePeriodSeconds: 0,
      preconditions: { uid: r.uid },
    });
  }
}
