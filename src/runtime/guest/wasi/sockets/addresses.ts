/**
 * `wasi:sockets/network` addresses as jco hands them over (`{ tag: 'ipv4', val: [a, b, c, d] }`,
 * socket addresses with `port`), converted to and from the strings node:net uses.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** IpAddress is a `wasi:sockets/network` ip-address. */
export type IpAddress =
  | { tag: 'ipv4'; val: [number, number, number, number] }
  | { tag: 'ipv6'; val: [number, number, number, number, number, number, number, number] };

/** IpSocketAddress is a `wasi:sockets/network` ip-socket-address. */
export type IpSocketAddress =
  | { tag: 'ipv4'; val: { port: number; address: [number, number, number, number] } }
  | {
      tag: 'ipv6';
      val: {
        port: number;
        flowInfo: number;
        address: [number, number, number, number, number, number, number, number];
        scopeId: number;
      };
    };

/** Family is an ip-address-family. */
export type Family = 'ipv4' | 'ipv6';

/** addressText returns the text form of an ip-address (IPv6 without brackets), or undefined if malformed. */
export function addressText(address: IpAddress): string | undefined {
  const parts = address.val as number[];
  if (address.tag === 'ipv4') {
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
    return parts.join('.');
  }
  if (parts.length !== 8 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 0xffff)) return undefined;
  // The canonical (compressed, lowercase) form, as DNS answers and allowedHosts entries write it.
  return new URL(`http://[${parts.map((p) => p.toString(16)).join(':')}]/`).hostname.slice(1, -1);
}

/** socketText returns the address and port of an ip-socket-address, or undefined if malformed. */
export function socketText(address: IpSocketAddress): { family: Family; host: string; port: number } | undefined {
  const host = addressText({ tag: address.tag, val: address.val.address } as IpAddress);
  const port = address.val.port;
  if (host === undefined || !Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { family: address.tag, host, port };
}

/** ipAddressOf parses the text form of an address into an ip-address. */
export function ipAddressOf(text: string): IpAddress | undefined {
  if (isIPv4(text)) return { tag: 'ipv4', val: text.split('.').map(Number) as [number, number, number, number] };
  if (!isIPv6(text)) return undefined;
  const [head = '', tail = ''] = text.includes('::') ? text.split('::') : [text, ''];
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  // An IPv4-mapped tail (::ffff:1.2.3.4) takes two groups.
  const expand = (groups: string[]) =>
    groups.flatMap((g) => {
      if (!g.includes('.')) return [Number.parseInt(g, 16)];
      const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
      return [(a << 8) | b, (c << 8) | d];
    });
  const left = expand(h);
  const right = expand(t);
  const zeros = new Array(8 - left.length - right.length).fill(0);
  return { tag: 'ipv6', val: [...left, ...zeros, ...right] as IpAddress['val'] } as IpAddress;
}

/** socketAddressOf builds an ip-socket-address from an address's text and a port. */
export function socketAddressOf(host: string, port: number): IpSocketAddress | undefined {
  const ip = ipAddressOf(host);
  if (!ip) return undefined;
  if (ip.tag === 'ipv4') return { tag: 'ipv4', val: { port, address: ip.val } };
  return { tag: 'ipv6', val: { port, flowInfo: 0, address: ip.val, scopeId: 0 } };
}

/** unmapped returns the IPv4 address an IPv4-mapped IPv6 address (`::ffff:a00:1`, `::ffff:10.0.0.1`) stands for, else `host`. */
export function unmapped(host: string): string {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(host);
  if (!hex) return host;
  const [hi, lo] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)];
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/** isLoopback says whether an address (canonical form) is the workload's own (virtual) loopback: 127.0.0.0/8 or ::1. */
export function isLoopback(host: string): boolean {
  const h = unmapped(host);
  return /^127\./.test(h) || h === '::1';
}

/** isUnspecified says whether an address (canonical form) is 0.0.0.0 or ::. */
export function isUnspecified(host: string): boolean {
  const h = unmapped(host);
  return h === '0.0.0.0' || h === '::';
}
