/**
 * `skiff dev --data-dir`: keyvalue and blobstore state kept on disk survives a restart of
 * the process; backend flags that ask for a backend they do not enable are refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { fixturePath } from '../support/fixtures.js';

const dataDir = mkdtempSync(join(tmpdir(), 'skiff-dev-data-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function fetchText(url: string, body?: string): Promise<string> {
  const res = await fetch(url, body === undefined ? {} : { method: 'POST', body });
  return res.text();
}

async function session(run: (url: string) => Promise<void>): Promise<void> {
  const wasm = await fixturePath('kitchen-sink');
  const cli = runCli(['dev', wasm, '--port', '0', '--metrics-port', '0', '--no-watch', '--data-dir', dataDir]);
  try {
    const [, url] = await cli.waitFor(/serving .* on (http:\/\/127\.0\.0\.1:\d+\/)/);
    await run(url!);
  } finally {
    expect(await cli.stop()).toBe(0);
  }
}

describe('skiff dev --data-dir', () => {
  it('keeps keyvalue and blobstore state across restarts', async () => {
    await session(async (url) => {
      expect(await fetchText(`${url}kv/incr?bucket=visits&key=n`)).toBe('{"value":1}');
      expect(await fetchText(`${url}kv/incr?bucket=visits&key=n`)).toBe('{"value":2}');
      expect(await fetchText(`${url}blob/put?container=notes&name=todo.txt`, 'water the plants')).toContain(
        '"ok":true',
      );
    });
    await session(async (url) => {
      expect(await fetchText(`${url}kv/incr?bucket=visits&key=n`)).toBe('{"value":3}');
      expect(await fetchText(`${url}blob/get?container=notes&name=todo.txt`)).toBe('water the plants');
    });
  });

  it('refuses a default backend it was not given the settings for', async () => {
    const wasm = await fixturePath('kitchen-sink');
    const cli = runCli(['dev', wasm, '--port', '0', '--metrics-port', '0', '--keyvalue-backend', 'redis']);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toMatch(/the default keyvalue backend "redis" is not enabled \(set a Redis URL\)/);
    const bad = runCli(['dev', wasm, '--port', '0', '--redis', 'http://x']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/--redis must be a redis:\/\/ or rediss:\/\/ URL/);
  });
});
