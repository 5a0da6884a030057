/**
 * Hosts clean up after themselves: a stopped workload leaves nothing in the work
 * directory, a host removes the work directory it created, and `skiff dev` leaves no
 * `skiff-work-*` directory behind in $TMPDIR.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostBuilder } from '../../src/runtime/host.js';
import { runCli } from '../support/cli.js';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, workload } from '../support/host.js';

const temp: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temp.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of temp) rmSync(d, { recursive: true, force: true });
});

async function withVolume(name: string, uid: string) {
  const w = workload(
    name,
    [{ name: 'web', image: `file://${await fixturePath('hello-js')}`, volumeMounts: [{ name: 'scratch', mountPath: '/data' }] }],
    [HTTP_GRANT],
    { volumes: [{ name: 'scratch', emptyDir: {} }] },
  );
  w.metadata.uid = uid;
  return w;
}

describe('work directories', () => {
  it('leaves nothing behind when a workload stops, whatever its uid', async () => {
    const workDir = tempDir('skiff-workdir-');
    const host = new HostBuilder()
      .withEngine({ cacheDir: tempDir('skiff-cache-') })
      .withWorkDir(workDir)
      .withFileImageRoots(['/'])
      .build();
    await host.start();
    try {
      await host.workloadStart(await withVolume('one', 'ctl-0123456789abcdef'));
      expect(readdirSync(workDir)).not.toEqual([]);
      // A new generation replaces the old one; the old one's directory goes, the new one's stays.
      const next = await withVolume('one', 'ctl-0123456789abcdef');
      next.metadata.generation = 2;
      await host.workloadStart(next);
      expect(readdirSync(workDir)).toHaveLength(1);
      await host.workloadStop('default/one');
      expect(readdirSync(workDir)).toEqual([]);
    } finally {
      await host.stop();
    }
    expect(existsSync(workDir), 'a work directory the host was given is not its to remove').toBe(true);
  });

  it('removes the work directory it created when it stops', async () => {
    const host = new HostBuilder().withEngine({ cacheDir: tempDir('skiff-cache-') }).withFileImageRoots(['/']).build();
    await host.start();
    await host.workloadStart(await withVolume('two', 'uid-two'));
    expect(existsSync(host.workDir)).toBe(true);
    await host.stop();
    expect(existsSync(host.workDir)).toBe(false);
  });

  it('skiff dev leaves no skiff-work-* directory in $TMPDIR', async () => {
    const tmp = tempDir('skiff-devtmp-');
    const cli = runCli(['dev', await fixturePath('hello-js'), '--port', '0', '--metrics-port', '0', '--no-watch'], {
      TMPDIR: tmp,
    });
    await cli.waitFor(/serving .* on http/);
    expect(await cli.stop()).toBe(0);
    expect(readdirSync(tmp).filter((f) => f.startsWith('skiff-work-'))).toEqual([]);
  });
});
