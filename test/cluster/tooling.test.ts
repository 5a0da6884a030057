/**
 * The e2e cluster tooling's pure parts, without a cluster: manifest rendering, image and
 * address arithmetic, the configuration files it writes, and the one-cluster lock.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartValues, splitRef } from '../../tools/cluster/chart.js';
import { containerdConfig, containerdPaths } from '../../tools/cluster/containerd.js';
import { ClusterError } from '../../tools/cluster/errors.js';
import { parseImages } from '../../tools/cluster/images.js';
import { render } from '../../tools/cluster/install.js';
import { acquireLock, releaseLock } from '../../tools/cluster/lock.js';
import { cniConfig, firstHost } from '../../tools/cluster/network.js';
import { kubeletConfig, kubeProxyArgs } from '../../tools/cluster/node.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-cluster-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('cluster tooling', () => {
  it('renders placeholders and refuses one without a value', () => {
    expect(render('image: "{{image}}" # {{image}}', { image: 'x:1' })).toBe('image: "x:1" # x:1');
    expect(() => render('a: "{{missing}}"', {})).toThrow(ClusterError);
  });

  it('splits image references at the tag, not at a registry port', () => {
    expect(splitRef('localhost/skiff/skiff:dev')).toEqual({ repository: 'localhost/skiff/skiff', tag: 'dev' });
    expect(splitRef('127.0.0.1:5000/a/b')).toEqual({ repository: '127.0.0.1:5000/a/b', tag: 'latest' });
    expect(chartValues({ skiff: 'localhost/skiff/skiff:dev', nats: 'localhost/skiff/nats:2.9' })).toContain(
      'nats.bundled.image.tag=2.9',
    );
  });

  it('reads the images images.sh reports and ignores its other output', () => {
    const out =
      'noise\npause=/c/pause-1.oci.tar localhost/skiff/pause:1\nskiff=/c/s.oci.tar localhost/skiff/skiff:dev\n';
    expect(parseImages(out)).toEqual({
      pause: { archive: '/c/pause-1.oci.tar', ref: 'localhost/skiff/pause:1' },
      skiff: { archive: '/c/s.oci.tar', ref: 'localhost/skiff/skiff:dev' },
    });
  });

  it('writes a CNI bridge without masquerading and a containerd that restricts oom_score_adj', () => {
    expect(firstHost('10.97.0.0/24')).toBe('10.97.0.1');
    const cni = JSON.parse(cniConfig('skiff0', '10.244.0.0/24', '/s/ipam'));
    expect(cni.plugins[0]).toMatchObject({ type: 'bridge', bridge: 'skiff0', ipMasq: false });
    expect(cni.plugins[0].ipam).toMatchObject({ dataDir: '/s/ipam', ranges: [[{ subnet: '10.244.0.0/24' }]] });
    const toml = containerdConfig(containerdPaths('/s'), 'localhost/skiff/pause:1');
    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain('SystemdCgroup = false');
    expect(toml).toContain('root = "/s/containerd/root"');
  });

  it('configures the kubelet for cgroupfs, cgroup v1 and cluster DNS, and kube-proxy without sysctls', () => {
    const o = {
      binDir: '/b',
      stateDir: '/s',
      nodeName: 'n',
      nodeIp: '192.0.2.2',
      podCidr: '10.244.0.0/24',
      dnsIp: '10.97.0.10',
      caCert: '/s/ca.crt',
      containerdSocket: '/s/c.sock',
      nodeKubeconfig: '/s/node.kubeconfig',
      adminKubeconfig: '/s/kubeconfig',
    };
    const kubelet = parse(kubeletConfig(o, 10250));
    expect(kubelet).toMatchObject({ cgroupDriver: 'cgroupfs', failCgroupV1: false, clusterDNS: ['10.97.0.10'] });
    expect(kubelet.podLogsDir).toBe('/s/pod-logs');
    const args = kubeProxyArgs(o, 1, 2);
    expect(args).toContain('--conntrack-max-per-core=0');
    expect(args).toContain('--iptables-localhost-nodeports=false');
  });

  it('lets one cluster hold the lock, refuses a second, and hands over a dead holder', async () => {
    const file = join(await tempDir(), 'cluster.lock');
    expect(await acquireLock(file, '/tmp/a')).toBeUndefined();
    await releaseLock(file);
    expect(await readFile(file, 'utf8').catch(() => 'gone')).toBe('gone');

    // A live process holds it: refused.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      await writeFile(file, JSON.stringify({ pid: holder.pid, stateDir: '/tmp/b' }));
      await expect(acquireLock(file, '/tmp/c')).rejects.toMatchObject({ code: 'SKIFF_CLUSTER_BUSY' });
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    // The holder is gone: its record comes back for sweeping, and the lock is ours.
    expect(await acquireLock(file, '/tmp/c')).toEqual({ pid: holder.pid, stateDir: '/tmp/b' });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ pid: process.pid, stateDir: '/tmp/c' });
  });

  it('waits for a live holder to stop before taking the lock', async () => {
    const file = join(await tempDir(), 'cluster.lock');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 500)'], { stdio: 'ignore' });
    await writeFile(file, JSON.stringify({ pid: holder.pid, stateDir: '/tmp/b' }));
    const lines: string[] = [];
    const stale = await acquireLock(file, '/tmp/c', 30_000, (line) => lines.push(line));
    expect(stale).toEqual({ pid: holder.pid, stateDir: '/tmp/b' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ pid: process.pid, stateDir: '/tmp/c' });
  });
});
