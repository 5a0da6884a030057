/**
 * The operator's API client: get, list, server-side apply, guarded finalizer updates,
 * delete, create/replace/patch and watch, over the Transport, with every response parsed by
 * zod and every failure a KubeError.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { kubeSource } from './config.js';
import { errorFromStatus, KubeConfigError, KubeError, parseStatus } from './errors.js';
import type { KubeMetrics } from './metrics.js';
import { apiVersionOf, type KubeObject, objectKey, type ResourceRef, resourcePath, typed } from './resources.js';
import { decode, kubeObjectSchema, listSchema } from './schema.js';
import { query, type RawResponse, Transport } from './transport.js';
import { METADATA_ACCEPT, type WatchEvent, type WatchOptions, watchStream } from './watch.js';

/** DEFAULT_FIELD_MANAGER is the field manager of the operator's server-side applies. */
export const DEFAULT_FIELD_MANAGER = 'skiff-operator';

/** KubeOptions tune a Kube client; every field has a default. */
export interface KubeOptions {
  /** Field manager of server-side applies (default `skiff-operator`). */
  fieldManager?: string;
  /** Bound of every non-watch request (default 30 s). */
  timeoutMs?: number;
  /** Largest response body accepted (default 64 MiB). */
  maxBodyBytes?: number;
  /** Largest watch event accepted (default 16 MiB). */
  maxLineBytes?: number;
  /** Items per list page (default 500). */
  pageSize?: number;
  metrics?: KubeMetrics | undefined;
}

/** CallOptions bound one request more tightly than the client default, or tie it to a signal. */
export interface CallOptions {
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** METADATA_LIST_ACCEPT asks for a list of PartialObjectMetadata: names, labels, resourceVersions, no contents. */
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

/** ListResult is every item of a collection and the resourceVersion to watch from. */
export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
}

/** Kube is the operator's client of one API server (one per process). */
export class Kube {
  readonly fieldManager: string;
  readonly #transport: Transport;
  readonly #pageSize: number;
  readonly #metrics: KubeMetrics | undefined;

  constructor(kc: KubeConfig, options: KubeOptions = {}) {
    this.fieldManager = options.fieldManager ?? DEFAULT_FIELD_MANAGER;
    this.#pageSize = options.pageSize ?? 500;
    this.#metrics = options.metrics;
    this.#transport = new Transport(kc, {
      timeoutMs: options.timeoutMs ?? 30_000,
      maxBodyBytes: options.maxBodyBytes ?? 64 * 1024 * 1024,
      maxLineBytes: options.maxLineBytes ?? 16 * 1024 * 1024,
    });
  }

  /**
   * load reads credentials from `kubeconfig`, else `KUBECONFIG`, else the pod's service
   * account, else ~/.kube/config (see config.ts), and returns a client.
   */
  static load(options: { kubeconfig?: string | undefined } & KubeOptions = {}, env?: NodeJS.ProcessEnv): Kube {
    const source = kubeSource(options, env);
    const kc = new KubeConfig();
    const where = source.kind === 'in-cluster' ? 'in-cluster service account' : source.files.join(', ');
    try {
      if (source.kind === 'in-cluster') kc.loadFromCluster();
      else {
        const [first, ...rest] = source.files;
        if (first) kc.loadFromFile(first);
        for (const file of rest) {
          const more = new KubeConfig();
          more.loadFromFile(file);
          kc.mergeConfig(more, true);
        }
      }
      return new Kube(kc, options);
    } catch (err) {
      throw new KubeConfigError(`loading Kubernetes credentials from ${where}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** server is the API server's base URL. */
  get server(): string {
    return this.#transport.server;
  }

  async #send(verb: string, r: ResourceRef, path: string, init: Parameters<Transport['request']>[2] = {}) {
    let res: RawResponse;
    try {
      res = await this.#transport.request(verb === 'apply' ? 'PATCH' : methodOf(verb), path, init);
    } catch (err) {
      this.#metrics?.requests.inc({ verb, resource: r.plural, code: (err as KubeError).code ?? 'aborted' });
      throw err;
    }
    this.#metrics?.requests.inc({ verb, resource: r.plural, code: String(res.status) });
    return res;
  }

  #fail(what: string, res: RawResponse): KubeError {
    return errorFromStatus(what, res.status, parseStatus(res.text), res.text);
  }

  #object(r: ResourceRef, text: string, what: string): KubeObject {
    return typed(r, decode(kubeObjectSchema, text, what) as KubeObject);
  }

  /** get returns the object (only its metadata with `metadataOnly`), or undefined when it does not exist. */
  async get(
    r: ResourceRef,
    namespace: string | undefined,
    name: string,
    options: CallOptions & { metadataOnly?: boolean | undefined } = {},
  ): Promise<KubeObject | undefined> {
    const path = resourcePath(r, namespaceOf(r, namespace, `get ${r.kind} ${name}`), name);
    const { metadataOnly, ...call } = options;
    const res = await this.#send('get', r, path, { ...call, accept: metadataOnly ? METADATA_ACCEPT : undefined });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.#fail(`get ${r.kind} ${name}`, res);
    return this.#object(r, res.text, `get ${r.kind} ${name}`);
  }

  /** list returns every object (in `namespace`, or everywhere), fetched in pages, and the list's resourceVersion. */
  async list(
    r: ResourceRef,
    namespace?: string,
    options: { labelSelector?: string | undefined; metadataOnly?: boolean | undefined } & CallOptions = {},
  ): Promise<ListResult> {
    const items: KubeObject[] = [];
    let resourceVersion = '';
    let token: string | undefined;
    do {
      const q = query({ limit: this.#pageSize, continue: token, labelSelector: options.labelSelector });
      const call = {
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        accept: options.metadataOnly ? METADATA_LIST_ACCEPT : undefined,
      };
      const res = await this.#send('list', r, `${resourcePath(r, namespace)}${q}`, call);
      if (res.status !== 200) throw this.#fail(`list ${r.plural}`, res);
      const page = decode(listSchema, res.text, `list ${r.plural}`);
      for (const item of page.items ?? []) items.push(typed(r, item as KubeObject));
      resourceVersion = page.metadata.resourceVersion;
      token = page.metadata.continue || undefined;
    } while (token);
    return { items, resourceVersion };
  }

  /** apply server-side-applies `obj` (or its status with `subresource: 'status'`); `force` defaults to true. */
  async apply(
    r: ResourceRef,
    obj: KubeObject,
    options: { subresource?: 'status'; force?: boolean } = {},
  ): Promise<KubeObject> {
    const body = { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(r), kind: obj.kind ?? r.kind };
    const what = `apply ${r.kind} ${objectKey(obj)}${options.subresource ? `/${options.subresource}` : ''}`;
    const ns = namespaceOf(r, obj.metadata.namespace, what);
    const q = query({ fieldManager: this.fieldManager, force: options.force ?? true, fieldValidation: 'Strict' });
    const path = `${resourcePath(r, ns, obj.metadata.name, options.subresource)}${q}`;
    const res = await this.#send('apply', r, path, {
      body: JSON.stringify(body),
      contentType: 'application/apply-patch+yaml',
    });
    if (res.status !== 200 && res.status !== 201) throw this.#fail(what, res);
    return this.#object(r, res.text, what);
  }

  /** applyStatus server-side-applies `status` to the object's status subresource. */
  applyStatus(r: ResourceRef, namespace: string | undefined, name: string, status: object): Promise<KubeObject> {
    const metadata = namespace ? { name, namespace } : { name };
    return this.apply(r, { apiVersion: apiVersionOf(r), kind: r.kind, metadata, status }, { subresource: 'status' });
  }

  /**
   * setFinalizers replaces the finalizer list with a merge patch carrying `obj`'s
   * resourceVersion as a precondition: if the object changed since `obj` was read the
   * server refuses with SKIFF_KUBE_CONFLICT, so a stale copy never drops someone else's finalizer.
   */
  async setFinalizers(r: ResourceRef, obj: KubeObject, finalizers: string[]): Promise<KubeObject> {
    const rv = obj.metadata.resourceVersion;
    const what = `set finalizers of ${r.kind} ${objectKey(obj)}`;
    if (!rv)
      throw new KubeError('SKIFF_KUBE_INVALID', 0, 'NoResourceVersion', `${what}: object has no resourceVersion`);
    return this.patch(r, obj.metadata.namespace, obj.metadata.name, { metadata: { resourceVersion: rv, finalizers } });
  }

  /** patch sends a JSON merge patch (or a JSON patch when `type` is 'json') and returns the result. */
  async patch(
    r: ResourceRef,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    type: 'merge' | 'json' = 'merge',
  ): Promise<KubeObject> {
    const what = `patch ${r.kind} ${namespace ? `${namespace}/` : ''}${name}`;
    const path = resourcePath(r, namespaceOf(r, namespace, what), name);
    const contentType = type === 'merge' ? 'application/merge-patch+json' : 'application/json-patch+json';
    const res = await this.#send('patch', r, path, { body: JSON.stringify(patch), contentType });
    if (res.status !== 200) throw this.#fail(what, res);
    return this.#object(r, res.text, what);
  }

  /** create creates `obj`; an existing object is SKIFF_KUBE_CONFLICT with reason AlreadyExists. */
  async create(r: ResourceRef, obj: KubeObject, options: CallOptions = {}): Promise<KubeObject> {
    const what = `create ${r.kind} ${objectKey(obj)}`;
    const body = { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(r), kind: obj.kind ?? r.kind };
    const path = `${resourcePath(r, namespaceOf(r, obj.metadata.namespace, what))}${query({ fieldManager: this.fieldManager })}`;
    const res = await this.#send('create', r, path, { body: JSON.stringify(body), ...options });
    if (res.status !== 201 && res.status !== 200) throw this.#fail(what, res);
    return this.#object(r, res.text, what);
  }

  /** replace updates `obj` as a whole (PUT); its metadata.resourceVersion makes it conditional. */
  async replace(r: ResourceRef, obj: KubeObject, options: CallOptions = {}): Promise<KubeObject> {
    const what = `update ${r.kind} ${objectKey(obj)}`;
    const body = { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(r), kind: obj.kind ?? r.kind };
    const ns = namespaceOf(r, obj.metadata.namespace, what);
    const path = `${resourcePath(r, ns, obj.metadata.name)}${query({ fieldManager: this.fieldManager })}`;
    const res = await this.#send('update', r, path, { body: JSON.stringify(body), ...options });
    if (res.status !== 200) throw this.#fail(what, res);
    return this.#object(r, res.text, what);
  }

  /** delete deletes the object (absent is fine); `preconditionUid` guards against deleting a successor of the same name. */
  async delete(
    r: ResourceRef,
    namespace: string | undefined,
    name: string,
    options: { preconditionUid?: string } = {},
  ): Promise<void> {
    const body = options.preconditionUid
      ? JSON.stringify({ preconditions: { uid: options.preconditionUid } })
      : undefined;
    const what = `delete ${r.kind} ${namespace ? `${namespace}/` : ''}${name}`;
    const res = await this.#send('delete', r, resourcePath(r, namespaceOf(r, namespace, what), name), { body });
    if (res.status === 404 || res.status === 200 || res.status === 202) return;
    throw this.#fail(what, res);
  }

  /**
   * watch streams changes after `resourceVersion` (bookmarks on) until the server ends the
   * watch (resolves) or anything fails (rejects: 410 → SKIFF_KUBE_GONE, silence or a cut →
   * SKIFF_KUBE_UNAVAILABLE, `signal` → its reason). `onEvent` runs synchronously per event.
   */
  watch(
    r: ResourceRef,
    namespace: string | undefined,
    resourceVersion: string,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
    options: WatchOptions = {},
  ): Promise<void> {
    this.#metrics?.requests.inc({ verb: 'watch', resource: r.plural, code: 'open' });
    return watchStream(this.#transport, r, namespace, resourceVersion, onEvent, signal, options);
  }

  /** close drops pooled connections (in-flight requests fail). */
  close(): void {
    this.#transport.close();
  }
}

function methodOf(verb: string): string {
  return ({ get: 'GET', list: 'GET', patch: 'PATCH', create: 'POST', update: 'PUT', delete: 'DELETE' } as const)[
    verb as 'get'
  ];
}

function namespaceOf(r: ResourceRef, namespace: string | undefined, what: string): string | undefined {
  if (r.namespaced && !namespace)
    throw new KubeError('SKIFF_KUBE_INVALID', 0, 'NoNamespace', `${what}: namespace required`);
  return r.namespaced ? namespace : undefined;
}
