/**
 * `skiff dev --secrets FILE`: Secrets from a local file of Kubernetes Secret documents reach
 * a guest through `wasmcloud:secrets`, follow edits of the file on
 * reload, and never appear in the CLI's output, even at debug level.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { fixturePath } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

const MANIFEST = `apiVersion: runtime.skiff.dev/v1alpha1
kind: Workload
metadata: { name: vault, namespace: default }
spec:
  components:
    - name: web
      image: file://./app.wasm
  hostInterfaces:
    - { namespace: wasi, package: http, interfaces: [incoming-handler] }
    - namespace: wasmcloud
      package: secrets
      interfaces: [store, reveal]
      version: 1.0.0
      secretFrom: [{ name: db }, { name: not-in-the-file, optional: true }]
`;

function secretsYaml(password: string): string {
  return `apiVersion: v1
kind: Secret
metadata: { name: db }
type: Opaque
data:
  password: ${Buffer.from(password).toString('base64')}
stringData:
  token: tok-${password}
---
apiVersion: v1
kind: ConfigMap
metadata: { name: ignored }
data: { a: b }
`;
}

async function reveal(url: string, key: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}reveal?key=${key}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('skiff dev --secrets', () => {
  it('serves Secrets from the file through wasmcloud:secrets, follows edits, and never prints a value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-dev-secrets-'));
    copyFileSync(await fixturePath('secrets-js'), join(dir, 'app.wasm'));
    const manifest = join(dir, 'workload.yaml');
    const secrets = join(dir, 'secrets.yaml');
    writeFileSync(manifest, MANIFEST);
    writeFileSync(secrets, secretsYaml('first-p4ss'));
    const cli = runCli(['dev', manifest, '--port', '0', '--metrics-port', '0', '--secrets', secrets], {
      SKIFF_LOG_LEVEL: 'debug',
    });
    try {
      const [, url] = await cli.waitFor(/serving vault on (http:\/\/127\.0\.0\.1:\d+\/)/);
      expect(await reveal(url!, 'password')).toEqual({
        status: 200,
        body: { key: 'password', tag: 'string', value: 'first-p4ss' },
      });
      expect((await reveal(url!, 'token')).body.value).toBe('tok-first-p4ss');
      expect((await reveal(url!, 'a')).status).toBe(404);
      writeFileSync(secrets, secretsYaml('second-p4ss'));
      await waitFor(
        'the reloaded workload to reveal the new password',
        async () => {
          const r = await reveal(url!, 'password');
          return r.body.value === 'second-p4ss';
        },
        30_000,
      );
      expect(cli.output()).toContain('secret revealed');
      for (const value of ['first-p4ss', 'second-p4ss']) expect(cli.output()).not.toContain(value);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it('refuses to start when a required Secret is not in the file, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-dev-secrets-'));
    copyFileSync(await fixturePath('secrets-js'), join(dir, 'app.wasm'));
    const manifest = join(dir, 'workload.yaml');
    const secrets = join(dir, 'secrets.yaml');
    writeFileSync(manifest, MANIFEST.replace('name: db }', 'name: elsewhere }'));
    writeFileSync(secrets, secretsYaml('unused-p4ss'));
    const cli = runCli(['dev', manifest, '--port', '0', '--metrics-port', '0', '--no-watch', '--secrets', secrets]);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain('Secret elsewhere does not exist');
    expect(cli.output()).not.toContain('unused-p4ss');
  });
});
