// The three clusterNetworks checks of linkerd-existence: traffic to an address outside
// `clusterNetworks` is treated as leaving the cluster (no mTLS, no policy), so every pod
// network, pod IP and Service IP must be inside it. Failures are errors, as in the CLI
// (neither fatal nor warnings there). Agents that collect no Nodes/Services skip those two.
import { BlockList, isIP } from 'node:net';
import type { CheckContext } from './check-context';
import { fail, ok, skip, type CheckDefinition, type CheckOutcome } from './check.types';

interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

function parseCidr(raw: string): Cidr | null {
  const [address = '', bits, extra] = raw.trim().split('/');
  const version = isIP(address);
  if (!version || bits === undefined || extra !== undefined || !/^\d{1,3}$/.test(bits)) return null;
  const prefix = Number(bits);
  if (prefix > (version === 4 ? 32 : 128)) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

interface Networks {
  raw: string;
  cidrs: Cidr[];
  contains(ip: string): boolean;
}

type Parsed = { ok: true; networks: Networks } | { ok: false; error: string };

function parseNetworks(raw: string): Parsed {
  const cidrs: Cidr[] = [];
  for (const part of raw.split(',')) {
    const cidr = parseCidr(part);
    if (!cidr) return { ok: false, error: `invalid CIDR address: ${part.trim()}` };
    cidrs.push(cidr);
  }
  const list = new BlockList();
  for (const c of cidrs) list.addSubnet(c.address, c.prefix, c.family);
  const contains = (ip: string) => {
    const v = isIP(ip);
    return v !== 0 && list.check(ip, v === 4 ? 'ipv4' : 'ipv6');
  };
  return { ok: true, networks: { raw, cidrs, contains } };
}

/** A podCIDR fits when its base address is inside a network at least as wide (CLI's rule). */
function containsCidr(n: Networks, cidr: Cidr): boolean {
  return n.cidrs.some((c) => {
    if (c.family !== cidr.family || cidr.prefix < c.prefix) return false;
    const one = new BlockList();
    one.addSubnet(c.address, c.prefix, c.family);
    return one.check(cidr.address, cidr.family);
  });
}

/** Runs `body` over the parsed clusterNetworks; skipped without them (not in linkerd-config). */
function withNetworks(ctx: CheckContext, body: (n: Networks) => CheckOutcome): CheckOutcome {
  const raw = ctx.config?.clusterNetworks;
  if (!raw) return skip();
  const parsed = parseNetworks(raw);
  return parsed.ok ? body(parsed.networks) : fail(parsed.error);
}

export const clusterNetworksChecks: CheckDefinition[] = [
  {
    description: 'cluster networks contains all node podCIDRs',
    hintAnchor: 'l5d-cluster-networks-cidr',
    run: (ctx) => {
      const nodes = ctx.snapshot.nodes;
      if (!nodes) return skip();
      return withNetworks(ctx, (n) => {
        const podCidrs = nodes.map((node) => node.spec?.podCIDR ?? '').filter((c) => c !== '');
        // No node exposes spec.podCIDR (e.g. DigitalOcean): nothing to verify, as in the CLI.
        if (podCidrs.length === 0) return skip();
        const bad: string[] = [];
        for (const raw of podCidrs) {
          const cidr = parseCidr(raw);
          if (!cidr) return fail(`invalid CIDR address: ${raw}`);
          if (!containsCidr(n, cidr)) bad.push(raw);
        }
        if (bad.length === 0) return ok();
        bad.sort();
        return fail(
          `node has podCIDR(s) [${bad.join(' ')}] which are not contained in the Linkerd clusterNetworks.\n` +
            `\tTry installing linkerd via --set clusterNetworks="${bad.join('\\,')}"`,
        );
      });
    },
  },
  {
    description: 'cluster networks contains all pods',
    hintAnchor: 'l5d-cluster-networks-pods',
    run: (ctx) =>
      withNetworks(ctx, (n) => {
        for (const pod of ctx.snapshot.pods) {
          const ip = pod.status?.podIP;
          if (pod.spec?.hostNetwork || !ip) continue;
          if (!n.contains(ip)) {
            return fail(
              `the Linkerd clusterNetworks ["${n.raw}"] do not include pod ${pod.metadata?.namespace}/${pod.metadata?.name} (${ip})`,
            );
          }
        }
        return ok();
      }),
  },
  {
    description: 'cluster networks contains all services',
    hintAnchor: 'l5d-cluster-networks-pods',
    run: (ctx) => {
      const services = ctx.snapshot.services;
      if (!services) return skip();
      return withNetworks(ctx, (n) => {
        for (const svc of services) {
          const ip = svc.spec?.clusterIP;
          if (!ip || ip === 'None') continue;
          if (!n.contains(ip)) {
            return fail(
              `the Linkerd clusterNetworks ["${n.raw}"] do not include svc ${svc.metadata?.namespace}/${svc.metadata?.name} (${ip})`,
            );
          }
        }
        return ok();
      });
    },
  },
];
