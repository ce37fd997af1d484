// Refuses webhook targets inside private networks (SSRF), unless an allowlist names them.
// Every resolved address is checked, and the connection uses exactly the checked addresses.
// Address ranges come from ipaddr.js; IPv6 forms that carry an IPv4 address are judged by it.
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { ValidationError } from '@meshfleet/core';
import ipaddr from 'ipaddr.js';

export type AddressClass = 'public' | 'private' | 'loopback' | 'link-local' | 'unspecified' | 'reserved';

// ipaddr.js names the special-purpose ranges (IANA registries); anything not named is unicast.
const V4_CLASS: Record<string, AddressClass> = {
  unicast: 'public',
  private: 'private',
  carrierGradeNat: 'private',
  loopback: 'loopback',
  linkLocal: 'link-local', // cloud metadata lives here
  unspecified: 'unspecified',
};
const V6_CLASS: Record<string, AddressClass> = {
  unicast: 'public',
  uniqueLocal: 'private',
  deprecatedSiteLocal: 'private',
  loopback: 'loopback',
  linkLocal: 'link-local',
  unspecified: 'unspecified',
};

/**
 * The IPv4 address an IPv6 address carries and delivers to, if any: IPv4-mapped and
 * IPv4-translated (::ffff:a.b.c.d, ::ffff:0:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64
 * (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::).
 */
function embeddedIpv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = v6.parts;
  const last32 = () => new ipaddr.IPv4([p[6]! >> 8, p[6]! & 255, p[7]! >> 8, p[7]! & 255]);
  const range = v6.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145') return last32();
  if (range === 'rfc6052' && p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0) return last32();
  if (range === '6to4') return new ipaddr.IPv4([p[1]! >> 8, p[1]! & 255, p[2]! >> 8, p[2]! & 255]);
  // ::/96 with something in the low 32 bits (:: and ::1 are judged as IPv6 below).
  if (p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7]! > 1)) return last32();
  return null;
}

function classify(addr: ipaddr.IPv4 | ipaddr.IPv6): AddressClass {
  if (addr.kind() === 'ipv4') return V4_CLASS[addr.range()] ?? 'reserved';
  const v6 = addr as ipaddr.IPv6;
  const v4 = embeddedIpv4(v6);
  if (v4) return classify(v4);
  // Teredo, the local-use NAT64 prefix, discard, benchmarking, ORCHID, multicast: never a webhook.
  return V6_CLASS[v6.range()] ?? 'reserved';
}

export function classifyAddress(address: string): AddressClass {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  } catch {
    return 'reserved';
  }
  return classify(addr);
}

/**
 * For allowlist matching: IPv4-mapped IPv6 (::ffff:10.0.0.1) is the IPv4 address it is; other
 * embedding forms are not widened into an allowlisted address (they are refused by class).
 */
function normalize(ip: string): { ip: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return { ip: mapped[1]!, family: 'ipv4' };
  return { ip, family: isIP(ip) === 6 ? 'ipv6' : 'ipv4' };
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

/**
 * A webhook URL as anyone but an ADMIN sees it, and as the audit log keeps it: scheme and host
 * only. The path and query often are the secret (a Slack incoming-webhook URL is a credential).
 */
export function urlForDisplay(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '…';
  }
}
