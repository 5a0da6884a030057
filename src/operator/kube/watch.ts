/**
 * One watch request: the query (bookmarks on, server timeout), the stream bounds, and each
 * line parsed with zod into a WatchEvent; ERROR events become KubeErrors (410 → GONE).
 */
import { errorFromStatus, KubeError, parseStatus } from './errors.js';
import { type KubeObject, type ResourceRef, resourcePath, typed } from './resources.js';
import { asObject, bookmarkSchema, decode, watchEventSchema } from './schema.js';
import { query, type Transport } from './transport.js';

/** WatchEvent is one change from a watch: an object, or a bookmark moving the resourceVersion. */
export type WatchEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject }
  | { type: 'BOOKMARK'; resourceVersion: string };

/** WatchOptions tune one watch request. */
export interface WatchOptions {
  labelSelector?: string | undefined;
  /** Server-side timeout of the watch (default 300 s). */
  timeoutSeconds?: number;
  /** Client-side bound on silence (default 150 s: bookmarks come about every minute). */
  idleMs?: number;
  /** Called once the server accepted the watch. */
  onOpen?: () => void;
  /** metadataOnly asks for PartialObjectMetadata objects: no data or spec ever crosses the wire. */
  metadataOnly?: boolean | undefined;
}

/** METADATA_ACCEPT asks for PartialObjectMetadata objects (watch events carry one each). */
export const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** watchStream performs one watch on `transport`; see Kube.watch. */
export async function watchStream(
  transport: Transport,
  r: ResourceRef,
  namespace: string | undefined,
  resourceVersion: string,
  onEvent: (event: WatchEvent) => void,
  signal: AbortSignal,
  options: WatchOptions = {},
): Promise<void> {
  const timeoutSeconds = options.timeoutSeconds ?? 300;
  const q = query({
    watch: 1,
    resourceVersion,
    allowWatchBookmarks: true,
    timeoutSeconds,
    labelSelector: options.labelSelector,
  });
  const what = `watch ${r.plural}`;
  await transport.stream(`${resourcePath(r, namespace)}${q}`, {
    signal,
    idleMs: options.idleMs ?? 150_000,
    deadlineMs: timeoutSeconds * 1000 + 60_000,
    onOpen: options.onOpen,
    accept: options.metadataOnly ? METADATA_ACCEPT : undefined,
    onLine: (line) => {
      const event = decode(watchEventSchema, line, what);
      if (event.type === 'ERROR') {
        const status = parseStatus(JSON.stringify(event.object));
        throw errorFromStatus(what, status?.code ?? 500, status);
      }
      if (event.type === 'BOOKMARK') {
        const mark = bookmarkSchema.safeParse(event.object);
        if (!mark.success) throw new KubeError('SKIFF_KUBE_BAD_RESPONSE', 200, 'Malformed', `${what}: bad bookmark`);
        onEvent({ type: 'BOOKMARK', resourceVersion: mark.data.metadata.resourceVersion });
        return;
      }
      onEvent({ type: event.type, object: typed(r, asObject(event.object, what)) });
    },
  });
}
