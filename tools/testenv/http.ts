/**
 * A minimal HTTPS client for the API server: client-certificate auth, JSON in and out.
 * Used by the readiness wait and by tests; it knows nothing about resources.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

/** Credentials name the files of a client-certificate identity and the CA to trust. */
export type Credentials = Readonly<{ server: string; caFile: string; certFile: string; keyFile: string }>;

/** KubeResponse is a status code and the decoded body (JSON when it parses, else text). */
// biome-ignore lint/suspicious/noExplicitAny: callers read arbitrary API JSON and assert on it.
export type KubeResponse = { status: number; body: any; text: string };

/** KubeHttp sends requests to one API server with one identity. */
export class KubeHttp {
  readonly server: string;
  private readonly agent: Agent;
  constructor(creds: Credentials) {
    this.server = creds.server;
    this.agent = new Agent({
      ca: readFileSync(creds.caFile),
      cert: readFileSync(creds.certFile),
      key: readFileSync(creds.keyFile),
      keepAlive: true,
    });
  }

  /** send performs one request; `body` objects are sent as JSON unless `contentType` says otherwise. */
  send(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    timeoutMs = 30_000,
  ): Promise<KubeResponse> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.server),
        {
          method,
          agent: this.agent,
          timeout: timeoutMs,
          headers: { accept: 'application/json', ...(payload === undefined ? {} : { 'content-type': contentType }) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {}
            resolve({ status: res.statusCode ?? 0, body: parsed, text });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** close releases pooled connections. */
  close(): void {
    this.agent.destroy();
  }
}
