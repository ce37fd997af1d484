// Refuses webhook targets inside private networks (SSRF), unless an allowlist names them.
// Every resolved address is checked, and the connection uses exactly the checked addresses.
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { ValidationError } from '@meshfleet/core';

export type AddressClass = 'public' | 'private' | 'loopback' | 'link-local' | 'unspecified' | 'reserved';

const RANGES: [AddressClass, string, number, 'ipv4' | 'ipv6'][] = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['private', '100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'], // cloud metadata lives here
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'],
  ['reserved', '224.0.0.0', 3, 'ipv4'], // multicast and class E, broadcast
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  ['private', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['reserved', 'ff00::', 8, 'ipv6'],
];

const LISTS = new Map<AddressClass, BlockList>();
for (const [cls, net, prefix, family] of RANGES) {
  let list = LISTS.get(cls);
  if (!list) LISTS.set(cls, (list = new BlockList()));
  list.addSubnet(net, prefix, family);
}

/** Unwraps IPv4-mapped IPv6 (::ffff:10.0.0.1) so it is judged as the IPv4 address it is. */
function normalize(ip: string): { ip: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return { ip: mapped[1]!, family: 'ipv4' };
  return { ip, family: isIP(ip) === 6 ? 'ipv6' : 'ipv4' };
}

export function classifyAddress(address: string): AddressClass {
  const { ip, family } = normalize(address);
  for (const [cls, list] of LISTS) if (list.check(ip, family)) return cls;
  return 'public';
}

/** Allowlist entries: host names (exact, case-insensitive), IP addresses, or CIDRs. */
export class HostAllowlist {
  private readonly hosts = new Set<string>();
  private readonly nets = new BlockList();

  constructor(entries: string[]) {
    for (const raw of entries) {
      const e = raw.trim().toLowerCase();
      const [net, bits] = e.split('/');
      const family = isIP(net ?? '');
      if (family && bits !== undefined)
        this.nets.addSubnet(net!, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
      else if (family) this.nets.addAddress(net!, family === 6 ? 'ipv6' : 'ipv4');
      else if (e) this.hosts.add(e);
    }
  }

  allows(host: string, address: string): boolean {
    if (this.hosts.has(host.toLowerCase())) return true;
    const { ip, family } = normalize(address);
    return this.nets.check(ip, family);
  }
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/**
 * Resolves the host and returns its addresses if every one is public or allowlisted;
 * throws a ValidationError naming the refused address otherwise.
 */
export async function checkedAddresses(
  host: string,
  allowlist: HostAllowlist,
  resolve: Resolver = systemResolver,
): Promise<{ address: string; family: number }[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const addrs = isIP(bare) ? [{ address: bare, family: isIP(bare) }] : await resolve(bare);
  if (addrs.length === 0) throw new ValidationError(`${host} does not resolve`, 'url');
  for (const a of addrs) {
    const cls = classifyAddress(a.address);
    if (cls !== 'public' && !allowlist.allows(bare, a.address))
      throw new ValidationError(
        `${host} resolves to ${a.address} (${cls}); webhook targets must be public unless MESHFLEET_WEBHOOK_ALLOWED_HOSTS allows them`,
        'url',
      );
  }
  return addrs;
}

/** Syntax of a webhook URL: http(s), no credentials. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError('url is not a URL', 'url');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ValidationError('url must be http or https', 'url');
  if (url.username || url.password) throw new ValidationError('url must not carry credentials', 'url');
  if (raw.length > 2048) throw new ValidationError('url is longer than 2048 characters', 'url');
  return url;
}
