/**
 * `wasi:sockets/tcp` for one component context. Connections to the loopback addresses
 * (127.0.0.0/8, ::1) go to the workload's virtual loopback, never to the host's; every
 * other connection is real egress that the SocketPolicy must permit. Only a workload's
 * service may listen, and only on its virtual loopback. Every open connection holds a slot
 * of the workload's ConnectionBudget; its buffers are bounded (streams.ts).
 */
import { connect as netConnect } from 'node:net';
import type { Pollable } from '../../../shared/shim.js';
import {
  type Family,
  type IpSocketAddress,
  isLoopback,
  isUnspecified,
  socketAddressOf,
  socketText,
} from './addresses.js';
import type { ConnectionBudget } from './budget.js';
import { type Conn, errorCodeOf, netConn } from './conn.js';
import type { Listener, Loopback } from './loopback.js';
import type { SocketPolicy } from './policy.js';
import { Changes, type SocketStreams, socketStreams } from './streams.js';

/** TcpEnv is what the sockets of one component context share. */
export interface TcpEnv {
  readonly policy: SocketPolicy;
  readonly budget: ConnectionBudget;
  readonly bufferBytes: number;
  /** loopback is the workload's virtual loopback, when it has one. */
  readonly loopback?: Loopback | undefined;
  /** mayListen: the context runs the workload's service. */
  readonly mayListen: boolean;
  /** connectTimeoutMs bounds a real connect. */
  readonly connectTimeoutMs: number;
  /** live holds the context's sockets that are not dropped yet (closed with the context). */
  readonly live: Set<{ [Symbol.dispose](): void }>;
}

type Outcome<T> = { ok: T } | { err: string };
type State = 'unbound' | 'bound' | 'connecting' | 'connected' | 'listening-started' | 'listening' | 'closed';

const wit = (code: string): never => {
  throw code;
};

/** tcpSocketClass builds the TcpSocket resource class of one component context. */
export function tcpSocketClass(env: TcpEnv) {
  const dial = (host: string, port: number): Promise<Conn> => {
    if (isLoopback(host)) return env.loopback ? env.loopback.connect(port) : Promise.reject('connection-refused');
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port, timeout: env.connectTimeoutMs });
      socket.once('connect', () => {
        socket.setTimeout(0);
        resolve(netConn(socket));
      });
      socket.once('timeout', () => {
        socket.destroy();
        reject('timeout');
      });
      socket.once('error', (err) => reject(errorCodeOf(err)));
    });
  };

  class TcpSocket {
    readonly #family: Family;
    readonly #changes = new Changes();
    #state: State = 'unbound';
    #local: { host: string; port: number } | undefined;
    #remote: { host: string; port: number } | undefined;
    #pending: Outcome<unknown> | undefined;
    #inProgress = false;
    #streams: SocketStreams | undefined;
    #listener: Listener | undefined;
    #slot = false;
    #keepAlive = false;
    #hopLimit = 64;

    constructor(family: Family) {
      this.#family = family;
      env.live.add(this);
    }

    /** fromConn makes an accepted, connected socket. */
    static fromConn(family: Family, conn: Conn, local: { host: string; port: number }): [TcpSocket, unknown, unknown] {
      const socket = new TcpSocket(family);
      socket.#slot = true;
      socket.#local = local;
      socket.#remote = { host: local.host, port: 0 };
      socket.#state = 'connected';
      socket.#streams = socketStreams(conn, env.bufferBytes, () => socket.#release());
      return [socket, socket.#streams.input, socket.#streams.output];
    }

    #target(address: IpSocketAddress): { host: string; port: number } {
      const parsed = socketText(address);
      if (!parsed || parsed.family !== this.#family) return wit('invalid-argument');
      return parsed;
    }

    #release(): void {
      if (!this.#slot) return;
      this.#slot = false;
      env.budget.release();
    }

    #settle<T>(promise: Promise<T>, done: (value: T) => void): void {
      this.#inProgress = true;
      this.#pending = undefined;
      promise.then(
        (ok) => {
          done(ok);
          this.#pending = { ok };
          this.#changes.notify();
        },
        (err: unknown) => {
          this.#pending = { err: typeof err === 'string' ? err : 'unknown' };
          this.#changes.notify();
        },
      );
    }

    #finish<T>(expected: State): T {
      if (this.#state !== expected || !this.#inProgress) return wit('not-in-progress');
      const outcome = this.#pending as Outcome<T> | undefined;
      if (!outcome) return wit('would-block');
      this.#inProgress = false;
      if ('err' in outcome) {
        this.#state = 'closed';
        this.#release();
        return wit(outcome.err);
      }
      return outcome.ok;
    }

    startBind(_network: unknown, address: IpSocketAddress): void {
      if (this.#state !== 'unbound') wit('invalid-state');
      const local = this.#target(address);
      // Binding is virtual: a socket binds only the workload's own loopback.
      if (!isLoopback(local.host) && !isUnspecified(local.host)) wit('access-denied');
      this.#local = local;
      this.#inProgress = true;
    }

    finishBind(): void {
      if (this.#state !== 'unbound' || !this.#inProgress || !this.#local) wit('not-in-progress');
      this.#inProgress = false;
      this.#state = 'bound';
    }

    startConnect(_network: unknown, address: IpSocketAddress): void {
      if (this.#state !== 'unbound' && this.#state !== 'bound') wit('invalid-state');
      const remote = this.#target(address);
      if (isUnspecified(remote.host) || remote.port === 0) wit('invalid-argument');
      if (!isLoopback(remote.host) && !env.policy.permits(remote.host, remote.port)) wit('access-denied');
      if (!env.budget.acquire()) wit('new-socket-limit');
      this.#slot = true;
      this.#remote = remote;
      this.#state = 'connecting';
      const dialed = dial(remote.host, remote.port).then((conn) => {
        // Dropped while connecting: the connection is not wanted any more.
        if (this.#state === 'closed') {
          conn.destroy();
          throw 'connection-aborted';
        }
        return conn;
      });
      this.#settle(dialed, () => undefined);
    }

    finishConnect(): [unknown, unknown] {
      const conn = this.#finish<Conn>('connecting');
      this.#state = 'connected';
      this.#local ??= { host: this.#family === 'ipv4' ? '0.0.0.0' : '::', port: 0 };
      this.#streams = socketStreams(conn, env.bufferBytes, () => this.#release());
      return [this.#streams.input, this.#streams.output];
    }

    startListen(): void {
      if (this.#state !== 'bound') wit('invalid-state');
      if (!env.mayListen || !env.loopback) wit('access-denied');
      this.#state = 'listening-started';
      this.#settle(env.loopback!.listen(this.#local!.port), (listener) => {
        this.#listener = listener;
        this.#local = { host: this.#local!.host, port: listener.port };
        listener.onChange(() => this.#changes.notify());
      });
    }

    finishListen(): void {
      this.#finish<Listener>('listening-started');
      this.#state = 'listening';
    }

    accept(): [TcpSocket, unknown, unknown] {
      if (this.#state !== 'listening' || !this.#listener) return wit('invalid-state');
      const conn = this.#listener.next();
      if (!conn) return wit('would-block');
      if (!env.budget.acquire()) {
        conn.destroy();
        return wit('new-socket-limit');
      }
      return TcpSocket.fromConn(this.#family, conn, this.#local!);
    }

    localAddress(): IpSocketAddress {
      if (!this.#local || this.#state === 'unbound') return wit('invalid-state');
      return socketAddressOf(this.#local.host, this.#local.port)!;
    }

    remoteAddress(): IpSocketAddress {
      if (this.#state !== 'connected' || !this.#remote) return wit('invalid-state');
      return socketAddressOf(this.#remote.host, this.#remote.port)!;
    }

    isListening(): boolean {
      return this.#state === 'listening';
    }

    addressFamily(): Family {
      return this.#family;
    }

    setListenBacklogSize(size: bigint): void {
      if (size === 0n) wit('invalid-argument');
    }

    keepAliveEnabled(): boolean {
      return this.#keepAlive;
    }

    setKeepAliveEnabled(value: boolean): void {
      this.#keepAlive = value;
    }

    keepAliveIdleTime = (): bigint => 7_200_000_000_000n;
    setKeepAliveIdleTime = (value: bigint): void => void (value <= 0n && wit('invalid-argument'));
    keepAliveInterval = (): bigint => 75_000_000_000n;
    setKeepAliveInterval = (value: bigint): void => void (value <= 0n && wit('invalid-argument'));
    keepAliveCount = (): number => 9;
    setKeepAliveCount = (value: number): void => void (value <= 0 && wit('invalid-argument'));

    hopLimit(): number {
      return this.#hopLimit;
    }

    setHopLimit(value: number): void {
      if (value <= 0) wit('invalid-argument');
      this.#hopLimit = value;
    }

    receiveBufferSize = (): bigint => BigInt(env.bufferBytes);
    setReceiveBufferSize = (value: bigint): void => void (value <= 0n && wit('invalid-argument'));
    sendBufferSize = (): bigint => BigInt(env.bufferBytes);
    setSendBufferSize = (value: bigint): void => void (value <= 0n && wit('invalid-argument'));

    subscribe(): Pollable {
      return this.#changes.pollable(() => {
        if (this.#inProgress) return this.#pending !== undefined;
        if (this.#state === 'listening') return this.#listener?.pending() ?? false;
        return true;
      });
    }

    shutdown(kind: 'receive' | 'send' | 'both'): void {
      if (this.#state !== 'connected' || !this.#streams) wit('invalid-state');
      this.#streams!.shutdown(kind);
    }

    [Symbol.dispose](): void {
      env.live.delete(this);
      this.#state = 'closed';
      this.#streams?.close();
      this.#listener?.close();
      this.#release();
      this.#changes.notify();
    }
  }
  return TcpSocket;
}
