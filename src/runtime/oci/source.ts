/**
 * `ociSource` plugs OCI registries into the engine's `ComponentSource` seam: it handles
 * every image that is neither a path nor a URL, resolves credentials (for a component naming
 * an imagePullSecret only what the start brought, never the host's own; else the host's docker
 * config), and pulls through the shared cache.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../telemetry/logger.js';
import type { ComponentRef, ComponentSource } from '../engine/source.js';
import { type Credentials, credentialsFor, type DockerConfig, readDockerConfig } from './auth.js';
import { type PullPolicy, pull } from './pull.js';
import { looksLikeOciReference, parseReference } from './reference.js';

/** OciSourceOptions configures ociSource. */
export interface OciSourceOptions {
  /** cacheDir is the engine's cache root; pulled blobs go under `<cacheDir>/oci`. */
  readonly cacheDir: string;
  /** dockerConfig is the host's own credentials: parsed, or a path to a docker config JSON file. */
  readonly dockerConfig?: DockerConfig | string | undefined;
  /** userDockerConfig also reads `~/.docker/config.json` when present (for `skiff dev`). */
  readonly userDockerConfig?: boolean | undefined;
  /** pullSecret returns the docker config an imagePullSecret names, or undefined if it is unknown here. */
  readonly pullSecret?: ((name: string) => Promise<DockerConfig | undefined>) | undefined;
  /** insecure lists registries (host[:port]) spoken to over plain HTTP; loopback registries always are. */
  readonly insecure?: readonly string[] | undefined;
  /** policy overrides the imagePullPolicy of every pull (e.g. Never for an offline host). */
  readonly policy?: PullPolicy | undefined;
  readonly logger?: Logger | undefined;
}

/** OciComponentRef is a ComponentRef that may carry Kubernetes' imagePullPolicy. */
export type OciComponentRef = ComponentRef & { readonly imagePullPolicy?: PullPolicy | undefined };

/**
 * secretCredentials are what a component naming an imagePullSecret pulls with: the
 * credentials the start brought for its registry, else what `pullSecret` knows of the secret,
 * else none (anonymous). Never the host's own.
 */
async function secretCredentials(
  ref: OciComponentRef,
  registry: string,
  options: OciSourceOptions,
): Promise<Credentials | undefined> {
  const sent = ref.pullCredentials;
  if (sent)
    return sameRegistry(sent.registry, registry) ? { username: sent.username, password: sent.password } : undefined;
  const known = credentialsFor(await options.pullSecret?.(ref.imagePullSecret!), registry);
  if (!known) {
    options.logger?.warn(
      { image: ref.image, imagePullSecret: ref.imagePullSecret },
      'no credentials for the imagePullSecret were sent with the start; pulling anonymously',
    );
  }
  return known;
}

function sameRegistry(a: string, b: string): boolean {
  const norm = (r: string) => (r === 'index.docker.io' || r === 'registry-1.docker.io' ? 'docker.io' : r.toLowerCase());
  return norm(a) === norm(b);
}

/** ociSource returns a ComponentSource that pulls components from OCI registries. */
export function ociSource(options: OciSourceOptions): ComponentSource {
  let hostConfig: Promise<DockerConfig> | undefined;
  const loadHostConfig = (): Promise<DockerConfig> => {
    hostConfig ??= (async () => {
      const merged = new Map(
        options.userDockerConfig ? await readDockerConfig(join(homedir(), '.docker', 'config.json'), true) : [],
      );
      const own = options.dockerConfig;
      const parsed = typeof own === 'string' ? await readDockerConfig(own) : (own ?? new Map());
      for (const [k, v] of parsed) merged.set(k, v);
      return merged;
    })();
    return hostConfig;
  };

  return {
    handles: (ref) => looksLikeOciReference(ref.image),
    async fetch(ref: OciComponentRef, signal) {
      const reference = parseReference(ref.image);
      const credentials = ref.imagePullSecret
        ? await secretCredentials(ref, reference.registry, options)
        : credentialsFor(await loadHostConfig(), reference.registry);
      const started = performance.now();
      const result = await pull(reference, {
        cacheDir: options.cacheDir,
        label: ref.image,
        policy: options.policy ?? ref.imagePullPolicy,
        credentials,
        insecure: options.insecure,
        signal,
      });
      options.logger?.info(
        {
          image: ref.image,
          manifest: result.manifestDigest,
          digest: result.layerDigest,
          bytes: result.bytes.length,
          cached: result.fromCache,
          ms: Math.round(performance.now() - started),
        },
        result.fromCache ? 'component found in the pull cache' : 'pulled component',
      );
      return result.bytes;
    },
  };
}
