/**
 * Registry credentials and auth challenges. Credentials come from a docker config JSON
 * (`{"auths": {"host": {"auth": base64(user:pass)} | {"username", "password"}}}`), which
 * is what a Kubernetes `kubernetes.io/dockerconfigjson` imagePullSecret holds.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { OciUnauthorizedError } from './errors.js';

/** Credentials are a username and password (or identity token) for one registry. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

const authEntry = z
  .object({
    auth: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    identitytoken: z.string().optional(),
  })
  .passthrough();

const dockerConfigSchema = z.object({ auths: z.record(z.string(), authEntry).default({}) }).passthrough();

/** DockerConfig maps registry hosts to credentials, parsed from docker config JSON. */
export type DockerConfig = ReadonlyMap<string, Credentials>;

/** parseDockerConfig parses docker config JSON text; `origin` names it in errors. */
export function parseDockerConfig(text: string, origin: string): DockerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new OciUnauthorizedError(`docker config ${origin} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = dockerConfigSchema.safeParse(raw);
  if (!parsed.success) throw new OciUnauthorizedError(`docker config ${origin}: ${parsed.error.message}`);
  const out = new Map<string, Credentials>();
  for (const [key, entry] of Object.entries(parsed.data.auths)) {
    let username = entry.username;
    let password = entry.password ?? entry.identitytoken;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new OciUnauthorizedError(`docker config ${origin}: auth for ${key} is not base64(user:password)`);
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    if (username === undefined || password === undefined) continue;
    out.set(normalizeHost(key), Object.freeze({ username, password }));
  }
  return out;
}

/** readDockerConfig reads and parses a docker config file; a missing file is an empty config when `optional`. */
export async function readDockerConfig(path: string, optional = false): Promise<DockerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new OciUnauthorizedError(`cannot read docker config ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseDockerConfig(text, path);
}

/** credentialsFor finds the credentials a docker config holds for a registry host. */
export function credentialsFor(config: DockerConfig | undefined, registry: string): Credentials | undefined {
  if (!config) return undefined;
  const host = normalizeHost(registry);
  const found = config.get(host);
  if (found) return found;
  if (host === 'docker.io' || host === 'registry-1.docker.io') return config.get('index.docker.io') ?? config.get('docker.io');
  return undefined;
}

/** normalizeHost turns a docker config key (`https://host/v1/`, `host`) into `host[:port]`. */
function normalizeHost(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
}

/** Challenge is a parsed `WWW-Authenticate` header. */
export interface Challenge {
  readonly scheme: 'basic' | 'bearer';
  readonly params: Readonly<Record<string, string>>;
}

/** parseChallenge parses a `WWW-Authenticate` header value (Basic or Bearer), or returns undefined. */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*(basic|bearer)\b\s*(.*)$/i.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (let m = re.exec(match[2]!); m; m = re.exec(match[2]!)) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return { scheme: match[1]!.toLowerCase() as 'basic' | 'bearer', params };
}

/** basicAuth returns an `Authorization: Basic …` value. */
export function basicAuth(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
