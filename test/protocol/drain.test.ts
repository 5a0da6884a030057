/**
 * Stops with a drain period (ADR 0007, Revision 3), over the real protocol and real HTTP
 * connections: while a workload drains it keeps serving and every answer closes its
 * connection; once it stops, idle connections that it last served are closed, and a request
 * that reaches such a connection anyway is closed unanswered instead of getting a 404.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FEATURE_DRAIN } from '../../src/api/index.js';
import { VirtualHostRouter } from '../../src/runtime/http/routers.js';
import { useNats } from '../support/nats.js';
import { waitFor } from '../support/wait.js';
import { type ControlledTestHost, helloWorkload, startControlledHost } from './helpers.js';

const nats = useNats();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** RawConnection is one kept-alive HTTP/1.1 connection, written and read by hand. */
class RawConnection {
  readonly socket: Socket;
  #buffer = '';
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.#buffer += d;
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  get(vhost: string): Promise<Answer> {
    this.write(`GET / HTTP/1.1\r\nhost: ${vhost}\r\n\r\n`);
    return this.answer();
  }

  /** answer waits for the next complete response (content-length framed). */
  answer(): Promise<Answer> {
    return waitFor('a complete HTTP response', () => {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.closed) throw new Error('connection closed without an answer');
        return undefined;
      }
      const [line, ...fields] = this.#buffer.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const f of fields) headers[f.slice(0, f.indexOf(':')).toLowerCase()] = f.slice(f.indexOf(':') + 1).trim();
      const length = Number(headers['content-length'] ?? 0);
      if (this.#buffer.length < end + 4 + length) return undefined;
      const body = this.#buffer.slice(end + 4, end + 4 + length);
      this.#buffer = this.#buffer.slice(end + 4 + length);
      return { status: Number(line!.split(' ')[1]), headers, body };
    });
  }

  /** unanswered says whether the server closed the connection with nothing left unread. */
  unanswered(): boolean {
    return this.closed && this.#buffer === '';
  }

  close(): void {
    this.socket.destroy();
  }
}

async function drainHost(id: string): Promise<{ h: ControlledTestHost; port: number }> {
  const h = await startControlledHost(nats().url, { id, router: new VirtualHostRouter(), heartbeatSeconds: 60 });
  const stop = h.stop;
  let stopping: Promise<void> | undefined;
  h.stop = () => (stopping ??= stop.call(h));
  cleanup.push(() => h.stop());
  await h.client.start(id, await helloWorkload('web', 1, 'uid-web'));
  await h.client.start(id, await helloWorkload('other', 1, 'uid-other'));
  return { h, port: Number(new URL(h.t.url).port) };
}

async function open(port: number): Promise<RawConnection> {
  const c = await RawConnection.open(port);
  cleanup.push(async () => c.close());
  return c;
}

describe('a stop with a drain period', () => {
  it('hosts announce it, keep serving while draining with Connection: close, then stop', async () => {
    const { h, port } = await drainHost('drain-1');
    expect(h.control.heartbeat().features).toEqual([FEATURE_DRAIN]);
    const idle = await open(port);
    expect(await idle.get('web')).toMatchObject({ status: 200, body: 'hello from skiff' });
    const busy = await open(port);
    const first = await busy.get('web');
    expect(first.status).toBe(200);
    expect(first.headers.connection).not.toBe('close');

    const stopped = h.client.stop('drain-1', 'default/web', 'uid-web', { drainMs: 30_000 });
    await waitFor(
      'web draining',
      () => h.control.heartbeat().workloads.find((w) => w.id === 'default/web')?.state === 'Stopping',
    );
    // Still served, and each answer tells the client to reconnect elsewhere.
    const during = await busy.get('web');
    expect(during).toMatchObject({ status: 200, body: 'hello from skiff', headers: { connection: 'close' } });
    await waitFor('the answered connection closed', () => busy.closed);
    const fresh = await open(port);
    expect(await fresh.get('web.default')).toMatchObject({ status: 200, headers: { connection: 'close' } });
    // Other workloads keep their connections.
    const other = await open(port);
    const kept = await other.get('other');
    expect(kept.status).toBe(200);
    expect(kept.headers.connection).not.toBe('close');
    expect(idle.closed).toBe(false);

    // The drain lasts 30 s; a host shutting down ends it early, and the stop completes.
    expect(await Promise.race([stopped.then(() => 'stopped'), Promise.resolve('draining')])).toBe('draining');
    await h.stop();
    expect(await stopped).toEqual({ absent: false });
  });

  it('after the stop, closes idle connections it served and closes (not 404s) a request on one', async () => {
    const { h, port } = await drainHost('drain-2');
    const idle = await open(port);
    expect((await idle.get('web')).status).toBe(200);
    const otherIdle = await open(port);
    expect((await otherIdle.get('other')).status).toBe(200);
    // A connection in the middle of a request (its body not complete) when the stop comes.
    const midway = await open(port);
    expect((await midway.get('web')).status).toBe(200);
    midway.write('POST / HTTP/1.1\r\nhost: web\r\ncontent-length: 4\r\n\r\nab');
    await waitFor('the host is reading the request', () => h.t.http.activeRequests === 1);

    expect(await h.client.stop('drain-2', 'default/web', 'uid-web', { drainMs: 200 })).toEqual({ absent: false });
    await waitFor('the idle connection of web closed by the host', () => idle.closed);
    expect(idle.unanswered()).toBe(true);
    expect(otherIdle.closed).toBe(false);
    expect((await otherIdle.get('other')).status).toBe(200);

    midway.write('cd');
    await waitFor('the moved connection closed', () => midway.closed);
    expect(midway.unanswered()).toBe(true);
    // A new connection knows nothing of web: an honest 404, as before.
    const fresh = await open(port);
    expect(await fresh.get('web')).toMatchObject({ status: 404 });
    // A kept-alive connection of a workload still running asking for an unknown host: 404 too.
    expect(await otherIdle.get('nobody')).toMatchObject({ status: 404 });
  });

  it('a stop without a drain period stops at once; older clients send none', async () => {
    const { h, port } = await drainHost('drain-3');
    const idle = await open(port);
    expect((await idle.get('web')).status).toBe(200);
    expect(await h.client.stop('drain-3', 'default/web', 'uid-web')).toEqual({ absent: false });
    await waitFor('the idle connection closed', () => idle.closed);
    const bad = await h.client.requestRaw(
      'skiff.host.drain-3.workload.stop',
      new TextEncoder().encode(JSON.stringify({ id: 'default/other', drainMs: 600_000 })),
    );
    expect(bad).toMatchObject({ ok: false, error: { code: 'SKIFF_BAD_MESSAGE' } });
    expect(h.t.host.list().map((s) => s.id)).toEqual(['default/other']);
  });
});
