/**
 * Registry auth against real registries: docker-registry with htpasswd (Basic), and
 * docker-registry with `auth: token` trusting the small token server in registry.ts
 * (the Bearer challenge flow with a repository scope). Credentials come from docker config files.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as pushCli } from '../../src/cli/push.js';
import {
  credentialsFor,
  OciUnauthorizedError,
  parseReference,
  pull,
  pushComponent,
  readDockerConfig,
} from '../../src/runtime/oci/index.js';
import { fixturePath } from '../support/fixtures.js';
import { dockerConfigFile, type RegistryAuth, startRegistry, type TestRegistry } from './registry.js';

const USER = 'skiff';
const PASSWORD = 's3cret-pa55';

for (const kind of ['basic', 'token'] as const) {
  describe(`${kind} auth`, () => {
    let registry: TestRegistry;
    let bytes: Uint8Array;
    let wasm: string;
    beforeAll(async () => {
      const auth: RegistryAuth = { kind, user: USER, password: PASSWORD };
      registry = await startRegistry(auth);
      wasm = await fixturePath('hello-c');
      bytes = new Uint8Array(readFileSync(wasm));
    });
    afterAll(async () => {
      await registry?.stop();
    });

    const creds = async (password: string, form: 'auth' | 'fields' = 'auth') =>
      credentialsFor(await readDockerConfig(dockerConfigFile(registry.host, USER, password, form)), registry.host);
    const cache = () => mkdtempSync(join(tmpdir(), 'skiff-oci-auth-'));

    it(`challenges with ${kind === 'basic' ? 'Basic' : 'Bearer'}`, async () => {
      const res = await fetch(`http://${registry.host}/v2/`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(kind === 'basic' ? /^Basic realm=/ : /^Bearer realm="http:\/\/127/);
    });

    it('pushes and pulls with credentials from a docker config', async () => {
      const image = `${registry.host}/private/hello:1.0.0`;
      const ref = parseReference(image);
      const pushed = await pushComponent(ref, bytes, { label: image, credentials: await creds(PASSWORD) });
      const pulled = await pull(ref, { cacheDir: cache(), label: image, credentials: await creds(PASSWORD, 'fields') });
      expect(pulled.bytes).toEqual(bytes);
      expect(pulled.manifestDigest).toBe(pushed.manifestDigest);
    });

    it('skiff push --docker-config authenticates', async () => {
      const config = dockerConfigFile(registry.host, USER, PASSWORD);
      const image = `${registry.host}/private/cli:1.0.0`;
      expect(await pushCli([wasm, image, '--docker-config', config])).toBe(0);
      expect(await pushCli([wasm, `${registry.host}/private/cli:2.0.0`])).toBe(1);
      const pulled = await pull(parseReference(image), { cacheDir: cache(), label: image, credentials: await creds(PASSWORD) });
      expect(pulled.bytes).toEqual(bytes);
    });

    it('refuses anonymous and wrong-password pulls with an unauthorized error naming the reference', async () => {
      const image = `${registry.host}/private/hello:1.0.0`;
      const ref = parseReference(image);
      const anonymous = await pull(ref, { cacheDir: cache(), label: image }).catch((e) => e);
      expect(anonymous).toBeInstanceOf(OciUnauthorizedError);
      expect(anonymous.message).toContain(image);
      expect(anonymous.message).toContain('unauthorized');
      const wrong = await pull(ref, { cacheDir: cache(), label: image, credentials: await creds('wrong') }).catch((e) => e);
      expect(wrong).toBeInstanceOf(OciUnauthorizedError);
      expect(wrong.message).toContain(image);
      expect(wrong.message).toContain(USER);
    });
  });
}
