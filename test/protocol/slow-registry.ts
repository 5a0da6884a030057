/**
 * A registry the test controls: it serves one wasm component over the OCI distribution API
 * on loopback (plain HTTP, as Skiff speaks to loopback registries) and holds the layer
 * download until the test releases it, so a start can be caught in the middle.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** SlowRegistry is the running registry and its controls. */
export interface SlowRegistry {
  /** reference names the component by manifest digest (`127.0.0.1:PORT/slow/hello@sha256:…`). */
  readonly reference: string;
  /** requests lists `METHOD path` of every request, in order. */
  readonly requests: string[];
  /** layerRequested resolves when a host has asked for the wasm layer (its start is now fetching). */
  readonly layerRequested: Promise<void>;
  /** release lets the held layer download (and any later one) complete. */
  release(): void;
  close(): Promise<void>;
}

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** startSlowRegistry serves `wasm` as `slow/hello`, holding its layer until `release()`. */
export async function startSlowRegistry(wasm: Uint8Array): Promise<SlowRegistry> {
  const config = new TextEncoder().encode('{}');
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.wasm.config.v0+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/wasm', digest: sha(wasm), size: wasm.length }],
    }),
  );
  const requests: string[] = [];
  let requested!: () => void;
  const layerRequested = new Promise<void>((resolve) => {
    requested = resolve;
  });
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://registry').pathname;
    requests.push(`${req.method} ${path}`);
    const send = (body: Uint8Array, type: string, digest?: string) => {
      res.writeHead(200, {
        'content-type': type,
        'content-length': body.length,
        ...(digest ? { 'docker-content-digest': digest } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path === '/v2/') return send(new Uint8Array(), 'application/json');
    if (path === `/v2/slow/hello/manifests/${sha(manifest)}`) {
      return send(manifest, 'application/vnd.oci.image.manifest.v1+json', sha(manifest));
    }
    if (path === `/v2/slow/hello/blobs/${sha(config)}`) return send(config, 'application/octet-stream');
    if (path === `/v2/slow/hello/blobs/${sha(wasm)}`) {
      requested();
      void released.then(() => send(wasm, 'application/octet-stream'));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"NOT_FOUND","message":"not here"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    reference: `127.0.0.1:${port}/slow/hello@${sha(manifest)}`,
    requests,
    layerRequested,
    release,
    close: () =>
      new Promise<void>((resolve) => {
        release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
