/**
 * `wasi:sockets/ip-name-lookup` under the workload's SocketPolicy: a name is looked up only
 * when an `allowedHosts` entry allows it, and the stream yields only the addresses the
 * workload may then dial (the policy remembers them). `localhost` resolves to the workload's
 * own virtual loopback, without DNS.
 */
import { isIP } from 'node:net';
import type { Pollable } from '../../../shared/shim.js';
import { type IpAddress, ipAddressOf } from './addresses.js';
import type { SocketPolicy } from './policy.js';
import { Changes } from './streams.js';

/** MAX_NAME_LENGTH bounds a name the guest asks to resolve (a DNS name is at most 253). */
const MAX_NAME_LENGTH = 253;

/** lookupImports builds `wasi:sockets/ip-name-lookup` for one component context. */
export function lookupImports(policy: SocketPolicy): Record<string, unknown> {
  class ResolveAddressStream {
    readonly #changes = new Changes();
    #addresses: IpAddress[] | undefined;
    #error: string | undefined;

    constructor(lookup: Promise<string[]> = Promise.resolve([])) {
      lookup.then(
        (list) => {
          this.#addresses = list.flatMap((a) => ipAddressOf(a) ?? []);
          this.#changes.notify();
        },
        (err: NodeJS.ErrnoException | string) => {
          this.#error =
            typeof err === 'string'
              ? err
              : err.code === 'ENOTFOUND' || err.code === 'ENODATA'
                ? 'name-unresolvable'
                : 'temporary-resolver-failure';
          this.#changes.notify();
        },
      );
    }

    resolveNextAddress(): IpAddress | undefined {
      if (this.#error !== undefined) throw this.#error;
      if (!this.#addresses) throw 'would-block';
      return this.#addresses.shift();
    }

    subscribe(): Pollable {
      return this.#changes.pollable(() => this.#addresses !== undefined || this.#error !== undefined);
    }
  }

  const resolveAddresses = (_network: unknown, name: string): ResolveAddressStream => {
    if (name.length === 0 || name.length > MAX_NAME_LENGTH) throw 'invalid-argument';
    const host = name.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    if (host === 'localhost') return new ResolveAddressStream(Promise.resolve(['127.0.0.1', '::1']));
    // An address resolves to itself; whether it may be dialled is decided at connect.
    if (isIP(host)) return new ResolveAddressStream(Promise.resolve([host]));
    if (!policy.mayResolve(host)) throw 'access-denied';
    return new ResolveAddressStream(policy.resolve(host));
  };
  return { resolveAddresses, ResolveAddressStream };
}
