/**
 * Routers pick the workload that serves an HTTP request.
 */
import type { HostView } from '../host.js';
import type { RunningWorkload } from '../workload.js';

/**
 * Router picks a workload for a request by its authority (an absolute-form target's, else
 * the Host header) and path.
 */
export interface Router {
  route(host: HostView, authority: string | undefined, path: string): RunningWorkload | undefined;
}

/** DevRouter sends every request to the most recently started HTTP workload. */
export class DevRouter implements Router {
  route(host: HostView): RunningWorkload | undefined {
    return host
      .running()
      .filter((w) => w.httpComponent)
      .at(-1);
  }
}

/**
 * VirtualHostRouter routes by the request's authority to the workload whose `wasi:http` grant
 * has `config.host` equal to it (port ignored, case-insensitive). With `fallback`, a
 * request for an unknown host goes to the most recent HTTP workload.
 */
export class VirtualHostRouter implements Router {
  readonly #fallback: boolean;
  constructor(options: { fallback?: boolean } = {}) {
    this.#fallback = options.fallback ?? false;
  }
  route(host: HostView, authority: string | undefined): RunningWorkload | undefined {
    const name = (authority ?? '').replace(/:\d+$/, '').toLowerCase();
    const candidates = host.running().filter((w) => w.httpComponent);
    // By the grant's config.host, else by the names of the Workload's Kubernetes Service
    // (NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local; NAME alone inside its namespace).
    const match =
      candidates.filter((w) => w.virtualHost === name).at(-1) ??
      candidates.filter((w) => serviceNames(w.ref.namespace, w.ref.name).includes(name)).at(-1);
    if (match || !this.#fallback) return match;
    return candidates.at(-1);
  }
}

/** serviceNames are the DNS names a Workload's Service answers to inside the cluster. */
export function serviceNames(namespace: string, name: string): string[] {
  return [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`];
}
