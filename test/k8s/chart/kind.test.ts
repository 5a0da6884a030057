/**
 * deploy/kind/up.sh cannot run here (kind needs a node image from a registry), so it is
 * checked statically: shellcheck (Debian package) finds nothing, bash parses it, `--help`
 * works without any tool installed, and the chart values it sets exist.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cluster.js';
import { exec, templateRun } from './helm.js';

const SCRIPT = join(ROOT, 'deploy', 'kind', 'up.sh');

describe('deploy/kind/up.sh', () => {
  it('passes shellcheck', async () => {
    const r = await exec('shellcheck', ['--external-sources', '--severity=style', SCRIPT]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('parses, and --help needs no tools', async () => {
    expect((await exec('bash', ['-n', SCRIPT])).code).toBe(0);
    const help = await exec('bash', [SCRIPT, '--help'], { PATH: '/usr/bin:/bin' });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('deploy/kind/up.sh --delete');
  });

  it('sets only chart values that exist', async () => {
    const text = readFileSync(SCRIPT, 'utf8');
    // `--set key={a,b}` is Helm's list syntax: stand in a list there, a string elsewhere.
    const sets = [...text.matchAll(/--set "?([\w.]+)=(\{?)/g)].map((m) => [m[1]!, m[2] === '{'] as const);
    expect(sets.length).toBeGreaterThan(0);
    const stand = (k: string, list: boolean) => (list ? ['skiff'] : k === 'image.tag' ? '0.1.0' : 'skiff');
    const values = Object.fromEntries(sets.map(([k, list]) => [k, stand(k, list)]));
    const r = await templateRun(undefined, values);
    expect(r.code, r.stderr).toBe(0);
  });
});
