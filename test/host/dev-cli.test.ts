/**
 * `skiff dev` as a user runs it: manifests and bare .wasm files, invalid input with the
 * field named and a non-zero exit, and reloading when the manifest changes.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { fixturePath } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'hello', 'workload.yaml');

async function fetchText(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}


function tempManifest(): { dir: string; file: string; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-dev-'));
  return { dir, file: join(dir, 'workload.yaml'), text: readFileSync(EXAMPLE, 'utf8') };
}

describe('skiff dev', () => {
  it('serves the README example manifest and reloads when it changes', async () => {
    const { dir, file, text } = tempManifest();
    copyFileSync(await fixturePath('example-hello'), join(dir, 'hello.wasm'));
    writeFileSync(file, text);
    const cli = runCli(['dev', file, '--port', '0', '--metrics-port', '0']);
    try {
      const [, url] = await cli.waitFor(/serving hello on (http:\/\/127\.0\.0\.1:\d+\/)/);
      expect(await fetchText(url!)).toEqual({ status: 200, text: 'ahoy, visitor #1' });
      writeFileSync(file, text.replace('greeting: ahoy', 'greeting: howdy'));
      const reloaded = await waitFor('the reloaded workload to answer', async () => {
        const r = await fetchText(url!);
        return r.text.startsWith('howdy') && r;
      }, 30_000);
      expect(reloaded.text).toMatch(/^howdy, visitor #\d+$/);
      // A broken edit is refused and the running version keeps serving.
      writeFileSync(file, text.replace('name: scratch, mountPath', 'name: missing, mountPath'));
      await cli.waitFor(/reload failed/);
      expect((await fetchText(url!)).text).toMatch(/^howdy, visitor #\d+$/);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('serves a bare .wasm with every memory capability granted', async () => {
    const cli = runCli(['dev', await fixturePath('kitchen-sink'), '--port', '0', '--metrics-port', '0', '--no-watch']);
    try {
      const [, url] = await cli.waitFor(/serving .* on (http:\/\/127\.0\.0\.1:\d+\/)/);
      expect((await fetchText(`${url}kv/incr?bucket=b&key=k`)).text).toBe('{"value":1}');
      expect((await fetchText(`${url}hello`)).text).toBe('hello from skiff');
    } finally {
      await cli.stop();
    }
  });

  it.each([
    ['a volume mount of an undeclared volume', (t: string) => t.replace('name: scratch, mountPath', 'name: other, mountPath'), /spec\.components\[0\]\.volumeMounts\[0\]\.name: volume "other" is not declared/],
    ['a negative timeout', (t: string) => t.replace('timeoutMs: 5000', 'timeoutMs: -1'), /spec\.components\[0\]\.limits\.timeoutMs/],
    ['a YAML syntax error', (t: string) => `${t}\n  bad: [unclosed\n`, /invalid .*workload\.yaml:\n\s+\(line \d+\)/],
    ['a wrong kind', (t: string) => t.replace('kind: Workload', 'kind: Deployment'), /kind: expected exactly one Workload document/],
  ])('rejects %s with a non-zero exit naming the field', async (_, edit, message) => {
    const { file, text } = tempManifest();
    writeFileSync(file, edit(text));
    const cli = runCli(['dev', file, '--port', '0']);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toMatch(message);
  });

  it('exits non-zero naming the missing interface when a grant is missing', async () => {
    const { dir, file, text } = tempManifest();
    copyFileSync(await fixturePath('example-hello'), join(dir, 'hello.wasm'));
    writeFileSync(file, text.replace(/\n\s+- \{ namespace: wasi, package: logging[^\n]*/, ''));
    const cli = runCli(['dev', file, '--port', '0', '--metrics-port', '0']);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toMatch(/wasi:logging\/logging@0\.1\.0-draft \(not granted in spec\.hostInterfaces\)/);
  });

  it('explains usage mistakes', async () => {
    const cli = runCli(['dev', '--port', 'x', 'a.yaml']);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toMatch(/--port must be an integer/);
  });
});
