/**
 * `wasi:sockets` for one component context: TCP (`tcp.ts`) and UDP (`udp.ts`) to the
 * workload's virtual loopback (`loopback.ts`) and, as egress, to what its SocketPolicy
 * allows (`policy.ts`); name lookups under the same policy (`lookup.ts`). Sockets are
 * bounded per workload (`budget.ts`) and their buffers per socket (`streams.ts`, MAX_QUEUED).
 */
import type { MessagePort } from 'node:worker_threads';
import type { Family } from './addresses.js';
import { type ConnectionBudget, DEFAULT_MAX_CONNECTIONS, newCounter, sharedBudget } from './budget.js';
import { lookupImports } from './lookup.js';
import { type Loopback, loopbackClient } from './loopback.js';
import { SocketPolicy } from './policy.js';
import { DEFAULT_BUFFER_BYTES } from './streams.js';
import { tcpSocketClass } from './tcp.js';
import { udpImports } from './udp.js';

export { DEFAULT_MAX_CONNECTIONS, newCounter } from './budget.js';
export { DEFAULT_BUFFER_BYTES } from './streams.js';

/** DEFAULT_CONNECT_TIMEOUT_MS bounds a real TCP connect. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** SocketOptions configure the sockets of one component context. */
export interface SocketOptions {
  /** allowedHosts are the egress entries of the workload's wasi:sockets grant; none: no egress. */
  readonly allowedHosts?: readonly string[] | undefined;
  /** counter is the workload's shared connection counter (see budget.ts); a private one by default. */
  readonly counter?: Int32Array | undefined;
  /** connections counts what this context holds of `counter` (see budget.ts). */
  readonly connections?: Int32Array | undefined;
  /** maxConnections bounds the workload's open connections (default DEFAULT_MAX_CONNECTIONS). */
  readonly maxConnections?: number | undefined;
  /** bufferBytes bounds each direction's buffer of one socket (default DEFAULT_BUFFER_BYTES). */
  readonly bufferBytes?: number | undefined;
  /** loopback is this context's channel to its workload's virtual loopback hub, if it has one. */
  readonly loopback?: MessagePort | undefined;
  /** mayListen: the context runs the workload's service, which may listen on the loopback. */
  readonly mayListen?: boolean | undefined;
  /** policy replaces the policy built from allowedHosts (tests: a fake resolver, no host addresses). */
  readonly policy?: SocketPolicy | undefined;
  readonly connectTimeoutMs?: number | undefined;
}

/** Sockets are the `wasi:sockets/*` imports of one context and a way to close them all (with the context). */
export interface Sockets {
  readonly imports: Record<string, Record<string, unknown>>;
  close(): void;
}

class Network {}

/** createSockets builds the `wasi:sockets/*` imports of one component context. */
export function createSockets(options: SocketOptions = {}): Sockets {
  const bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
  const policy = options.policy ?? new SocketPolicy({ allowedHosts: options.allowedHosts ?? [] });
  const budget: ConnectionBudget = sharedBudget(
    options.counter ?? newCounter(),
    options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    options.connections,
  );
  const live = new Set<{ [Symbol.dispose](): void }>();
  const loopback: Loopback | undefined = options.loopback ? loopbackClient(options.loopback) : undefined;
  const TcpSocket = tcpSocketClass({
    policy,
    budget,
    bufferBytes,
    loopback,
    mayListen: options.mayListen ?? false,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    live,
  });
  return {
    imports: {
      'wasi:sockets/instance-network': { instanceNetwork: () => new Network() },
      'wasi:sockets/network': { Network, networkErrorCode: () => undefined },
      'wasi:sockets/ip-name-lookup': lookupImports(policy),
      'wasi:sockets/tcp-create-socket': {
        createTcpSocket: (family: Family) => {
          if (family !== 'ipv4' && family !== 'ipv6') throw 'not-supported';
          return new TcpSocket(family);
        },
      },
      'wasi:sockets/tcp': { TcpSocket },
      ...udpImports({ policy, budget, loopback, live }),
    },
    close: () => {
      // The context is closing: its connections and listeners go with it, and their slots.
      for (const socket of [...live]) socket[Symbol.dispose]();
      loopback?.close();
    },
  };
}
