/**
 * End to end: a component pushed to a real registry runs on a real host from its OCI
 * reference (with the engine's ociSource), on `skiff dev` started as a process, and
 * through an imagePullSecret on a registry that requires auth.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServerHandler } from '../../src/runtime/http/server.js';
import { DevRouter } from '../../src/runtime/http/routers.js';
import { type Host, HostBuilder } from '../../src/runtime/host.js';
import { sha256Digest } from '../../src/runtime/engine/source.js';
import { type OciSourceOptions, ociSource, parseDockerConfig, parseReference, pushComponent } from '../../src/runtime/oci/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { fixturePath } from '../support/fixtures.js';
import { HTTP_GRANT, workload } from '../support/host.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import { startRegistry, type TestRegistry } from './registry.js';

const root = join(import.meta.dirname, '..', '..');

/** startOciHost starts a host whose engine pulls from OCI registries. */
async function startOciHost(options: Omit<OciSourceOptions, 'cacheDir'> = {}): Promise<{ host: Host; url: string }> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'skiff-oci-host-cache-'));
  const http = new HttpServerHandler({ port: 0, router: new DevRouter() });
  const logger = createLogger({ level: process.env.SKIFF_TEST_LOG ?? 'silent' });
  const host = new HostBuilder()
    .withLogger(logger)
    .withEngine({ cacheDir })
    .withSource(ociSource({ cacheDir, logger, ...options }))
    .withWorkDir(mkdtempSync(join(tmpdir(), 'skiff-oci-host-work-')))
    .withHttpHandler(http)
    .build();
  await host.start();
  return { host, url: `http://127.0.0.1:${http.port}` };
}

let wasm: string;
let bytes: Uint8Array;
beforeAll(async () => {
  wasm = await fixturePath('hello-c');
  bytes = new Uint8Array(readFileSync(wasm));
});

describe('a workload from an OCI reference', () => {
  let registry: TestRegistry;
  let image: string;
  beforeAll(async () => {
    registry = await startRegistry();
    image = `${registry.host}/apps/hello-c:1.0.0`;
    await pushComponent(parseReference(image), bytes, { label: image });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('runs on a host and answers HTTP 200', async () => {
    const { host, url } = await startOciHost();
    try {
      await host.workloadStart(
        workload('oci-hello', [{ name: 'web', image, digest: sha256Digest(bytes), imagePullPolicy: 'IfNotPresent' }], [HTTP_GRANT]),
      );
      const res = await fetch(`${url}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('hello from skiff');
    } finally {
      await host.stop();
    }
  });

  it('refuses to start when the workload digest does not match the pulled component', async () => {
    const { host } = await startOciHost();
    try {
      const wrong = `sha256:${'0'.repeat(64)}`;
      await expect(
        host.workloadStart(workload('oci-wrong', [{ name: 'web', image, digest: wrong }], [HTTP_GRANT])),
      ).rejects.toThrow(/digest mismatch/);
    } finally {
      await host.stop();
    }
  });

  it('runs with `skiff dev` from a manifest naming the reference', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-oci-dev-'));
    const manifest = join(dir, 'workload.yaml');
    writeFileSync(
      manifest,
      [
        'apiVersion: runtime.skiff.dev/v1alpha1',
        'kind: Workload',
        'metadata: { name: hello, namespace: default }',
        'spec:',
        `  components: [{ name: web, image: "${image}" }]`,
        '  hostInterfaces: [{ namespace: wasi, package: http, interfaces: [incoming-handler] }]',
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const main = join(root, 'src', 'cli', 'main.ts');
    const code = `const { main } = await import(${JSON.stringify(main)}); process.exitCode = await main(process.argv.slice(1));`;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', code, 'dev', manifest, '--port', String(port), '--metrics-port', '0', '--no-watch'],
      { cwd: root, env: { ...process.env, SKIFF_CACHE: join(dir, 'cache'), SKIFF_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await waitFor(
        'skiff dev to serve',
        async () => {
          if (child.exitCode !== null) throw new Error(`skiff dev exited (${child.exitCode}): ${output}`);
          return output.includes('serving hello') ? true : undefined;
        },
        90_000,
      ).catch((err) => {
        throw new Error(`${(err as Error).message}: ${output}`);
      });
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('hello from skiff');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

describe('imagePullSecret', () => {
  let registry: TestRegistry;
  let image: string;
  const secret = () =>
    parseDockerConfig(JSON.stringify({ auths: { [registry.host]: { username: 'puller', password: 'pw-123' } } }), 'test');
  beforeAll(async () => {
    registry = await startRegistry({ kind: 'basic', user: 'puller', password: 'pw-123' });
    image = `${registry.host}/private/hello-c:1.0.0`;
    const credentials = { username: 'puller', password: 'pw-123' };
    await pushComponent(parseReference(image), bytes, { label: image, credentials });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('pulls with the credentials the named secret holds', async () => {
    const { host, url } = await startOciHost({
      pullSecret: async (name) => (name === 'regcred' ? secret() : undefined),
    });
    try {
      await host.workloadStart(workload('oci-private', [{ name: 'web', image, imagePullSecret: 'regcred' }], [HTTP_GRANT]));
      expect((await fetch(`${url}/`)).status).toBe(200);
    } finally {
      await host.stop();
    }
  });

  it('pulls with the credentials the start brought for that component, and only for their registry', async () => {
    const { host, url } = await startOciHost();
    try {
      const w = workload('oci-sent', [{ name: 'web', image, imagePullSecret: 'regcred' }], [HTTP_GRANT]);
      const elsewhere = new Map([['web', { registry: 'other.example:5000', username: 'puller', password: 'pw-123' }]]);
      await expect(host.workloadStart(w, { pullCredentials: elsewhere })).rejects.toMatchObject({
        code: 'SKIFF_OCI_UNAUTHORIZED',
      });
      const sent = new Map([['web', { registry: registry.host, username: 'puller', password: 'pw-123' }]]);
      await host.workloadStart(w, { pullCredentials: sent });
      expect((await fetch(`${url}/`)).status).toBe(200);
    } finally {
      await host.stop();
    }
  });

  it('never lends the host credentials to a component that names an imagePullSecret', async () => {
    // The host's own docker config could pull the image; a workload naming a secret must not use it.
    const { host, url } = await startOciHost({ dockerConfig: secret() });
    try {
      await host.workloadStart(workload('oci-own', [{ name: 'web', image }], [HTTP_GRANT]));
      expect((await fetch(`${url}/`)).status).toBe(200);
      // Not even from the pull cache, where the host's own pull left the image (IfNotPresent).
      const named = workload('oci-named', [{ name: 'web', image, imagePullSecret: 'regcred' }], [HTTP_GRANT]);
      await expect(host.workloadStart(named)).rejects.toMatchObject({ code: 'SKIFF_OCI_UNAUTHORIZED' });
      const never = workload(
        'oci-never',
        [{ name: 'web', image, imagePullSecret: 'regcred', imagePullPolicy: 'Never' }],
        [HTTP_GRANT],
      );
      await expect(host.workloadStart(never)).rejects.toMatchObject({ code: 'SKIFF_OCI_NOT_PRESENT' });
      // With its own (valid) credentials the cached image is checked once, then served.
      const sent = new Map([['web', { registry: registry.host, username: 'puller', password: 'pw-123' }]]);
      await host.workloadStart(named, { pullCredentials: sent });
    } finally {
      await host.stop();
    }
  });

  it('fails the start with an unauthorized error naming the component and reference without it', async () => {
    const { host } = await startOciHost();
    try {
      const err = await host
        .workloadStart(workload('oci-noauth', [{ name: 'web', image }], [HTTP_GRANT]))
        .catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/component "web": image .*private\/hello-c:1\.0\.0: unauthorized/);
      expect((err as { code?: string }).code).toBe('SKIFF_OCI_UNAUTHORIZED');
    } finally {
      await host.stop();
    }
  });
});
