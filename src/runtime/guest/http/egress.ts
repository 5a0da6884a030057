/**
 * Where a workload's outgoing HTTP may go: its `allowedHosts` entries (`name`, `*.suffix`,
 * `*`, an IP address, each optionally with `:port`) and, after DNS resolution, never to a
 * loopback, link-local, private or otherwise internal address unless an entry names that
 * host exactly (a name or an address, not a wildcard). A wildcard grant such as `*` thus
 * cannot reach the host's metrics, NATS monitoring or a cloud metadata service.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** EgressEntry is one parsed `allowedHosts` entry. */
interface EgressEntry {
  /** host is a lowercase name, `*`, `*.suffix`, or an address (IPv6 without brackets). */
  readonly host: string;
  readonly port: number | undefined;
}

/** EgressDecision is what a policy says about one authority it permits. */
export interface EgressDecision {
  /** host is the host to connect to, lowercase (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  /** internal says whether internal addresses may be reached: an entry names this host exactly. */
  readonly internal: boolean;
}

const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}

/** isInternalAddress says whether an IP address is loopback, link-local, private, multicast or reserved. */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return INTERNAL.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true; // not an address at all: never trusted
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** splitAuthority splits `host[:port]` (IPv6 in brackets) into a lowercase host and a port, or undefined. */
export function splitAuthority(authority: string): { host: string; port: number | undefined } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*))(?::(\d{1,5}))?$/.exec(authority.trim());
  if (!m) return undefined;
  const host = (m[1] ?? m[2] ?? '').toLowerCase();
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (host === '' || (port !== undefined && (port < 1 || port > 65535))) return undefined;
  return { host, port };
}

function matches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return host === pattern;
}

/** EgressPolicy decides which authorities a workload's outgoing requests may reach. */
export class EgressPolicy {
  readonly #entries: EgressEntry[];

  /** constructor parses `allowedHosts` entries; malformed ones are ignored (they allow nothing). */
  constructor(allowed: readonly string[]) {
    this.#entries = allowed.flatMap((raw) => {
      const parsed = splitAuthority(raw);
      return parsed ? [parsed] : [];
    });
  }

  /**
   * permits returns where a request for `authority` (default port by scheme) may connect,
   * or undefined if no entry allows it.
   */
  permits(authority: string, scheme: 'http' | 'https'): EgressDecision | undefined {
    const target = splitAuthority(authority);
    if (!target) return undefined;
    const port = target.port ?? (scheme === 'https' ? 443 : 80);
    const matching = this.#entries.filter(
      (e) => matches(e.host, target.host) && (e.port === undefined || e.port === port),
    );
    if (matching.length === 0) return undefined;
    return { host: target.host, port, internal: matching.some((e) => !e.host.startsWith('*')) };
  }

  /** permitsTarget is permits for a host (lowercase, IPv6 without brackets) and an explicit port (wasi:sockets). */
  permitsTarget(host: string, port: number): EgressDecision | undefined {
    return this.permits(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`, 'http');
  }

  /** mentions says whether some entry allows `host` at some port; `exactly`: an entry names it (no wildcard). */
  mentions(host: string, exactly = false): boolean {
    const h = host.toLowerCase();
    return this.#entries.some((e) => (exactly ? e.host === h : matches(e.host, h)));
  }
}

/** ProhibitedAddressError means a host resolves only to addresses the workload may not reach. */
export class ProhibitedAddressError extends Error {
  override readonly name = 'ProhibitedAddressError';
  readonly code = 'SKIFF_EGRESS_PROHIBITED';
}

/**
 * guardedLookup is a `lookup` for net.connect that resolves a name and keeps only the
 * addresses `decision` may reach, failing with ProhibitedAddressError when none is left.
 * Checking at connect time (not before) means a DNS answer cannot change in between.
 */
export function guardedLookup(decision: EgressDecision, resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    resolve(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err);
      const allowed = decision.internal ? addresses : addresses.filter((a) => !isInternalAddress(a.address));
      if (allowed.length === 0) {
        return callback(
          new ProhibitedAddressError(
            `${hostname} resolves only to internal addresses, which need an exact allowedHosts entry`,
          ),
        );
      }
      if (options.all) return callback(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  }) as LookupFunction;
}
