// Traffic coverage from proxy metrics (reference §4.2, §4.4): the share of inbound connections
// (`tcp_open_total`) and requests (`request_total`) that arrived over mesh mTLS (`tls="true"`).
//
// Excluded from both numerator and denominator:
// - `no_tls_reason="loopback"`: a pod talking to itself never crosses the network;
// - the proxy's admin port (`target_addr`/`authority` on 4191): the proxy's own probes and
//   metrics scrapes, never application traffic;
// - kubelet probes: the kubelet is never meshed, so probes would count as plaintext and make a
//   fully meshed app look partly unencrypted. A plaintext request is a probe when it is labelled
//   as the policy's probe route (`route_name="probe"`) or addressed to the pod's own IP on a port
//   its probes use (the kubelet dials pod IPs; service clients use names). The kubelet opens a
//   fresh connection per HTTP probe, so as many plaintext connections are discounted. A
//   `tcpSocket` probe is only a connection: plaintext connections to a TCP-probed port are
//   discounted up to what the probe schedule allows since the proxy started (tcpProbeBudget).
// Counters are cumulative since each proxy started; the share is over that lifetime.
// Requests and connections are separate measures: the headline (headlineTrafficCoverage) is
// the worse of the two, so plaintext TCP (databases, queues) is not hidden behind HTTP.
import type { V1Pod } from '@kubernetes/client-node';
import type { TrafficCoverage, TrafficShare } from '@meshfleet/agent-protocol';
import { podIps, probePorts, proxyAdminPort, splitAuthority, tcpProbeBudget } from './probes';
import type { Sample } from './prometheus-text';

interface Tally {
  tls: number;
  total: number;
  seen: boolean;
}

export interface PodTraffic {
  connections: Tally;
  requests: Tally;
}

const isInbound = (s: Sample) => s.labels['direction'] === 'inbound';
const isLoopback = (s: Sample) => s.labels['no_tls_reason'] === 'loopback';
const isTls = (s: Sample) => s.labels['tls'] === 'true';

function isProbeRequest(s: Sample, ips: Set<string>, ports: Set<number>): boolean {
  if (isTls(s)) return false;
  if (s.labels['route_name'] === 'probe') return true;
  const authority = s.labels['authority'];
  if (!authority) return false;
  const { host, port } = splitAuthority(authority);
  return ips.has(host) && port !== null && ports.has(port);
}

/** Port the series was addressed to, from `target_addr` or else `authority`. */
function targetPort(s: Sample): number | null {
  const addr = s.labels['target_addr'] ?? s.labels['authority'];
  return addr ? splitAuthority(addr).port : null;
}

/**
 * Tallies one pod's scrape. `pod` (when known) supplies its IPs and probe ports; `now` (the
 * scrape time) dates its TCP probe schedule.
 */
export function podTraffic(samples: Sample[], pod: V1Pod | undefined, now?: Date): PodTraffic {
  const ips = pod ? podIps(pod) : new Set<string>();
  const ports = pod ? probePorts(pod) : new Set<number>();
  const tcpBudget = pod && now ? tcpProbeBudget(pod, now) : new Map<number, number>();
  const plaintextByPort = new Map<number, number>();
  const connections: Tally = { tls: 0, total: 0, seen: false };
  const requests: Tally = { tls: 0, total: 0, seen: false };
  const adminPort = proxyAdminPort(pod);
  let probeRequests = 0;
  let plaintextConnections = 0;

  for (const s of samples) {
    if (!isInbound(s) || !Number.isFinite(s.value) || s.value < 0) continue;
    const toAdmin = targetPort(s) === adminPort;
    if (s.name === 'request_total') {
      requests.seen = true;
      if (isLoopback(s) || toAdmin) continue;
      if (isProbeRequest(s, ips, ports)) {
        probeRequests += s.value;
        continue;
      }
      requests.total += s.value;
      if (isTls(s)) requests.tls += s.value;
    } else if (s.name === 'tcp_open_total') {
      connections.seen = true;
      if (isLoopback(s) || toAdmin || (s.labels['peer'] !== undefined && s.labels['peer'] !== 'src'))
        continue;
      connections.total += s.value;
      if (isTls(s)) connections.tls += s.value;
      else if (s.labels['no_tls_reason'] === 'no_tls_from_remote') {
        plaintextConnections += s.value;
        const port = targetPort(s);
        if (port !== null) plaintextByPort.set(port, (plaintextByPort.get(port) ?? 0) + s.value);
      }
    }
  }
  // TCP probes first: they are pinned to their port; never below that port's plaintext.
  let tcpProbes = 0;
  for (const [port, budget] of tcpBudget) tcpProbes += Math.min(budget, plaintextByPort.get(port) ?? 0);
  // Then the kubelet's one-connection-per-HTTP-probe, never below the remaining plaintext.
  const discount = tcpProbes + Math.min(probeRequests, plaintextConnections - tcpProbes);
  connections.total -= discount;
  return { connections, requests };
}

function share(t: Tally): TrafficShare | null {
  if (!t.seen) return null;
  return { tls: t.tls, total: t.total, share: t.total > 0 ? t.tls / t.total : null };
}

/** Sums pods; a direction stays null when no scraped proxy exported that metric at all. */
export function combineTraffic(pods: PodTraffic[]): TrafficCoverage {
  const sum = (pick: (p: PodTraffic) => Tally): Tally =>
    pods
      .map(pick)
      .reduce((a, b) => ({ tls: a.tls + b.tls, total: a.total + b.total, seen: a.seen || b.seen }), {
        tls: 0,
        total: 0,
        seen: false,
      });
  return {
    connections: share(sum((p) => p.connections)),
    requests: share(sum((p) => p.requests)),
    podsScraped: pods.length,
  };
}

/**
 * The one number for "how much traffic is mTLS": the lower of the request and connection shares
 * (each when measured), so neither hides the other; null when neither was measured.
 */
export function headlineTrafficCoverage(t: Pick<TrafficCoverage, 'requests' | 'connections'>): number | null {
  const shares = [t.requests?.share, t.connections?.share].filter((x): x is number => typeof x === 'number');
  return shares.length ? Math.min(...shares) : null;
}
