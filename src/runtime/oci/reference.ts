/**
 * OCI image references: `registry/path[:tag][@sha256:digest]`. A registry host is
 * required (see docs/adr/0005-oci.md): a bare `hello:1.0` is refused rather than guessed
 * to mean Docker Hub. `docker.io` is understood and mapped to its API host.
 */
import { OciReferenceError } from './errors.js';

/** Reference is a parsed OCI image reference. */
export interface Reference {
  /** registry is the host[:port] as written (e.g. `ghcr.io`, `127.0.0.1:5000`). */
  readonly registry: string;
  /** repository is the path inside the registry (e.g. `team/hello`). */
  readonly repository: string;
  /** tag is the tag, `latest` when neither tag nor digest was written. */
  readonly tag: string | undefined;
  /** digest is the manifest digest (`sha256:…`) when the reference pins one. */
  readonly digest: string | undefined;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::[0-9]{1,5})?$/;

/** looksLikeOciReference says whether an image string is meant as an OCI reference (no scheme, not a path). */
export function looksLikeOciReference(image: string): boolean {
  if (image.startsWith('/') || image.startsWith('./') || image.startsWith('../')) return false;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(image)) return image.startsWith('oci://');
  return image.length > 0;
}

/** parseReference parses an OCI reference, or throws an OciReferenceError saying what is wrong. */
export function parseReference(image: string): Reference {
  const text = image.startsWith('oci://') ? image.slice('oci://'.length) : image;
  const bad = (why: string) => new OciReferenceError(`image ${JSON.stringify(image)}: ${why}`);
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`digest must be sha256: followed by 64 lowercase hex digits (got ${digest})`);
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? rest : rest.slice(0, slash);
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[');
  if (slash < 0 || !isHost) {
    throw bad(
      'a registry host is required, e.g. ghcr.io/team/hello:1.0 or 127.0.0.1:5000/hello:1.0 ' +
        '(Skiff does not assume Docker Hub; write docker.io/NAME explicitly)',
    );
  }
  if (!HOST.test(first)) throw bad(`invalid registry host ${JSON.stringify(first)}`);
  let path = rest.slice(slash + 1);
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`invalid tag ${JSON.stringify(tag)}`);
  }
  if (path === '' || !path.split('/').every((c) => COMPONENT.test(c))) {
    throw bad(`invalid repository ${JSON.stringify(path)} (lowercase letters, digits and . _ - separators)`);
  }
  if (path.length > 255) throw bad('repository name is longer than 255 characters');
  if (first === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (tag === undefined && digest === undefined) tag = 'latest';
  return Object.freeze({ registry: first, repository: path, tag, digest });
}

/** formatReference writes a reference back as text (digest form when pinned). */
export function formatReference(ref: Reference): string {
  const base = `${ref.registry}/${ref.repository}`;
  return ref.digest ? `${base}${ref.tag ? `:${ref.tag}` : ''}@${ref.digest}` : `${base}:${ref.tag}`;
}

/** apiHost returns the host[:port] serving a registry's API (`docker.io` → `registry-1.docker.io`). */
export function apiHost(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}

/** isLoopback says whether a registry host is on the loopback interface. */
export function isLoopback(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
