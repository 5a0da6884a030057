/**
 * Where a workload's `wasi:sockets` may connect: its `allowedHosts` entries (the grant of
 * `wasi:sockets` in `hostInterfaces`, same syntax as outgoing HTTP: `name`, `*.suffix`, `*`,
 * an address, each optionally `:port`), checked against the address the guest dials.
 * A guest dials addresses, not names: an address is allowed when an entry names it, or when
 * `ip-name-lookup` resolved an allowed name to it for this workload. After that, loopback,
 * link-local, private and reserved ranges and the host's own addresses are refused unless
 * an entry names the host exactly (a name or an address, not a wildcard), so `*` cannot
 * reach the Kubernetes API, NATS or a metadata service by address.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { networkInterfaces } from 'node:os';
import { EgressPolicy, isInternalAddress } from '../../http/egress.js';
import { unmapped } from './addresses.js';

/** MAX_RESOLVED bounds the addresses a workload's lookups are remembered for. */
const MAX_RESOLVED = 1024;

/** SocketPolicyOptions configure a SocketPolicy. */
export interface SocketPolicyOptions {
  /** allowedHosts are the grant's entries; none allows no egress. */
  readonly allowedHosts: readonly string[];
  /** ownAddresses are the host's own addresses (default: every interface's). */
  readonly ownAddresses?: readonly string[] | undefined;
  /** resolve looks names up (default node:dns lookup). */
  readonly resolve?: typeof dnsLookup | undefined;
}

/** hostAddresses lists the addresses of this machine's interfaces, lowercase. */
export function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((i) => i.address.toLowerCase());
}

/** SocketPolicy decides the egress of one workload component's sockets. */
export class SocketPolicy {
  readonly #egress: EgressPolicy;
  readonly #own: ReadonlySet<string>;
  readonly #resolve: typeof dnsLookup;
  /** #resolved maps an address to the names this workload's lookups resolved to it. */
  readonly #resolved = new Map<string, Set<string>>();

  constructor(options: SocketPolicyOptions) {
    this.#egress = new EgressPolicy(options.allowedHosts);
    this.#own = new Set(options.ownAddresses ?? hostAddresses());
    this.#resolve = options.resolve ?? dnsLookup;
  }

  #restricted(address: string): boolean {
    const a = unmapped(address.toLowerCase());
    return isInternalAddress(a) || this.#own.has(a) || this.#own.has(address.toLowerCase());
  }

  /** mayResolve says whether the workload may look `name` up at all (an entry allows it at some port). */
  mayResolve(name: string): boolean {
    return this.#egress.mentions(name);
  }

  /**
   * resolve looks `name` up and returns the addresses the workload may dial: restricted
   * ones only when an entry names `name` exactly. It remembers them for `permits`.
   */
  async resolve(name: string): Promise<string[]> {
    const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
      this.#resolve(name, { all: true }, (err, list) => (err ? reject(err) : resolve(list))),
    );
    const exact = this.#egress.mentions(name, true);
    const allowed = addresses.map((a) => a.address.toLowerCase()).filter((a) => exact || !this.#restricted(a));
    for (const address of allowed) {
      if (!this.#resolved.has(address) && this.#resolved.size >= MAX_RESOLVED) {
        this.#resolved.delete(this.#resolved.keys().next().value!);
      }
      const names = this.#resolved.get(address) ?? new Set<string>();
      names.add(name.toLowerCase());
      this.#resolved.set(address, names);
    }
    return allowed;
  }

  /** permits says whether the workload may open a TCP connection to `address`:`port`. */
  permits(address: string, port: number): boolean {
    // An IPv4-mapped IPv6 address is judged as the IPv4 address it stands for.
    const host = unmapped(address.toLowerCase());
    const direct = this.#egress.permitsTarget(host, port);
    if (direct && (direct.internal || !this.#restricted(host))) return true;
    for (const name of this.#resolved.get(host) ?? []) {
      const byName = this.#egress.permitsTarget(name, port);
      if (byName && (byName.internal || !this.#restricted(host))) return true;
    }
    return false;
  }
}
