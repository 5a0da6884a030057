/**
 * imagePullSecrets as the operator reads them: a `kubernetes.io/dockerconfigjson` Secret
 * (`.dockerconfigjson`: `{"auths": {registry: {auth | username, password}}}`) or a legacy
 * `kubernetes.io/dockercfg` one (`.dockercfg`: the `auths` map itself). Only the entry for
 * the registry a component pulls from is ever sent to a host.
 */
import { z } from 'zod';
import type { KubeObject } from '../kube/index.js';

/** PullSecretError means a Secret named as imagePullSecret holds no usable docker config. */
export class PullSecretError extends Error {
  override readonly name = 'PullSecretError';
  readonly code = 'SKIFF_PULL_SECRET_INVALID';
}

const entrySchema = z.looseObject({
  auth: z.string().max(16_384).optional(),
  username: z.string().max(4096).optional(),
  password: z.string().max(16_384).optional(),
  identitytoken: z.string().max(16_384).optional(),
});
const authsSchema = z.record(z.string().max(255), entrySchema);
const secretSchema = z.looseObject({
  type: z.string().optional(),
  data: z.record(z.string(), z.string()).optional(),
});

/** RegistryCredentials are one registry's username and password. */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/** registryHost turns a docker config key (`https://host/v1/`, `host`) into `host[:port]`, lower-cased. */
export function registryHost(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/** registryOf is the registry an OCI image reference pulls from; undefined for file:// and https:// images. */
export function registryOf(image: string): string | undefined {
  if (/^[a-z]+:\/\//i.test(image)) return undefined;
  const slash = image.indexOf('/');
  return slash < 0 ? undefined : registryHost(image.slice(0, slash));
}

/**
 * credentialsIn reads a pull Secret (as returned by the API server) and returns the
 * credentials it holds for `registry`, or undefined when it holds none for it.
 */
export function credentialsIn(secret: KubeObject, registry: string): RegistryCredentials | undefined {
  const name = secret.metadata.name;
  const parsed = secretSchema.safeParse(secret);
  if (!parsed.success) throw new PullSecretError(`Secret ${name} is malformed`);
  const { type, data } = parsed.data;
  const key =
    type === 'kubernetes.io/dockerconfigjson'
      ? '.dockerconfigjson'
      : type === 'kubernetes.io/dockercfg'
        ? '.dockercfg'
        : undefined;
  if (!key) {
    throw new PullSecretError(`Secret ${name} is of type ${type ?? 'Opaque'}, not kubernetes.io/dockerconfigjson`);
  }
  const raw = data?.[key];
  if (raw === undefined) throw new PullSecretError(`Secret ${name} has no ${key}`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    throw new PullSecretError(`Secret ${name}: ${key} is not JSON`);
  }
  const auths = authsSchema.safeParse(
    key === '.dockerconfigjson' ? ((json as { auths?: unknown })?.auths ?? {}) : json,
  );
  if (!auths.success) throw new PullSecretError(`Secret ${name}: ${key} is not a docker config`);
  for (const [host, entry] of Object.entries(auths.data)) {
    if (registryHost(host) !== registry) continue;
    let { username } = entry;
    let password = entry.password ?? entry.identitytoken;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new PullSecretError(`Secret ${name}: the auth of ${host} is not base64(user:password)`);
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    if (username !== undefined && password !== undefined) return { username, password };
  }
  return undefined;
}
