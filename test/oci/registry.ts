/**
 * Real registries for the OCI tests: Debian's `docker-registry` (distribution 2.8) on a
 * free loopback port with a temp storage dir — anonymous, with htpasswd basic auth, or
 * with bearer tokens issued by a small token server here (ES256 JWTs signed with a key
 * whose self-signed certificate the registry trusts).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

/** TestRegistry is a running registry and how to reach it. */
export interface TestRegistry {
  /** host is `ADDRESS:PORT` (127.0.0.1 unless asked otherwise), the registry part of references. */
  host: string;
  /** storage is the registry's filesystem root (tests corrupt blobs there). */
  storage: string;
  stop(): Promise<void>;
}

/** RegistryAuth selects how the registry authenticates. */
export type RegistryAuth = { kind: 'none' } | { kind: 'basic' | 'token'; user: string; password: string };

/**
 * startRegistry starts docker-registry with the given auth and waits until it answers /v2/;
 * it listens on `address` (default 127.0.0.1; a non-loopback one for insecure-registry tests).
 */
export async function startRegistry(
  auth: RegistryAuth = { kind: 'none' },
  options: { address?: string } = {},
): Promise<TestRegistry> {
  const address = options.address ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'skiff-registry-'));
  const storage = join(dir, 'storage');
  const port = await freePort();
  let tokenServer: Server | undefined;
  let authYaml = '';
  if (auth.kind === 'basic') {
    const line = execFileSync('htpasswd', ['-Bbn', auth.user, auth.password], { encoding: 'utf8' });
    writeFileSync(join(dir, 'htpasswd'), line);
    authYaml = `auth:\n  htpasswd:\n    realm: skiff-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (auth.kind === 'token') {
    const issuer = await startTokenServer(dir, auth);
    tokenServer = issuer.server;
    authYaml =
      'auth:\n  token:\n' +
      `    realm: ${issuer.realm}\n    service: skiff-test-registry\n    issuer: skiff-test-issuer\n` +
      `    rootcertbundle: ${issuer.certPath}\n`;
  }
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n' +
      `storage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\n` +
      `http:\n  addr: ${address}:${port}\n  secret: skiff-test-secret\n${authYaml}`,
  );
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const host = `${address}:${port}`;
  await waitFor(`docker-registry on ${host}`, async () => {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${output}`);
    const res = await fetch(`http://${host}/v2/`);
    await res.body?.cancel();
    return res.status === 200 || res.status === 401 ? true : undefined;
  }).catch((err) => {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}; registry output: ${output}`);
  });
  return {
    host,
    storage,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await new Promise((resolve) => (tokenServer ? tokenServer.close(resolve) : resolve(undefined)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** startTokenServer issues registry tokens for the given user (anonymous callers get no access). */
async function startTokenServer(
  dir: string,
  auth: { user: string; password: string },
): Promise<{ server: Server; realm: string; certPath: string }> {
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=skiff-test-issuer',
    ],
    { stdio: 'ignore' },
  );
  const key = createPrivateKey(readFileSync(keyPath));
  const certDer = new X509Certificate(readFileSync(certPath)).raw.toString('base64');
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString() : undefined;
    if (given !== undefined && given !== `${auth.user}:${auth.password}`) {
      res.writeHead(401).end('bad credentials');
      return;
    }
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      return given !== undefined && type === 'repository' ? [{ type, name, actions: actions?.split(',') ?? [] }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: 'skiff-test-issuer',
      sub: given ? auth.user : '',
      aud: url.searchParams.get('service'),
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signingInput = `${b64({ typ: 'JWT', alg: 'ES256', x5c: [certDer] })}.${b64(claims)}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }).toString(
      'base64url',
    );
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token: `${signingInput}.${signature}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, realm: `http://127.0.0.1:${port}/token`, certPath };
}

/** dockerConfigFile writes a docker config JSON for one registry and returns its path. */
export function dockerConfigFile(
  host: string,
  user: string,
  password: string,
  form: 'auth' | 'fields' = 'auth',
): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-dockercfg-'));
  const entry =
    form === 'auth' ? { auth: Buffer.from(`${user}:${password}`).toString('base64') } : { username: user, password };
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ auths: { [host]: entry } }));
  return path;
}
