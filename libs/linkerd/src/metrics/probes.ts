// Kubelet probe targets of a pod, so probe traffic can be told apart from service traffic.
import type { V1Container, V1Pod, V1Probe } from '@kubernetes/client-node';
import { PROXY_CONTAINER } from '../constants';
import { proxyStatus } from '../cluster/pods';

function resolvePort(container: V1Container, port: number | string | undefined): number | null {
  if (typeof port === 'number') return port;
  if (typeof port === 'string') {
    if (/^\d+$/.test(port)) return Number(port);
    return container.ports?.find((p) => p.name === port)?.containerPort ?? null;
  }
  return null;
}

function probePort(container: V1Container, probe: V1Probe | undefined): number | null {
  if (!probe) return null;
  const port = probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
  return resolvePort(container, port as number | string | undefined);
}

/** Ports the kubelet probes on the application containers. */
export function probePorts(pod: V1Pod): Set<number> {
  const ports = new Set<number>();
  for (const c of pod.spec?.containers ?? []) {
    if (c.name === PROXY_CONTAINER) continue;
    for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
      const port = probePort(c, p);
      if (port !== null) ports.add(port);
    }
  }
  return ports;
}

/**
 * How many connections the kubelet's `tcpSocket` probes may have opened, per port, since the
 * proxy started (its counters start then). A TCP probe is a bare connect from the node, so the
 * proxy sees it as a plaintext inbound connection (`no_tls_from_remote`) that nothing else labels
 * as a probe: the probe schedule (initialDelaySeconds, periodSeconds) is all that tells them
 * apart. Each probe is allowed one connection more than its schedule for timing jitter; a startup
 * probe stops after success, so it counts at most failureThreshold times. Empty when the proxy's
 * start is unknown.
 */
export function tcpProbeBudget(pod: V1Pod, now: Date): Map<number, number> {
  const budget = new Map<number, number>();
  const startedAt = proxyStatus(pod)?.state?.running?.startedAt ?? pod.status?.startTime;
  const started = startedAt ? new Date(startedAt).getTime() : NaN;
  if (!Number.isFinite(started)) return budget;
  const elapsed = Math.max(0, (now.getTime() - started) / 1000);
  for (const c of pod.spec?.containers ?? []) {
    if (c.name === PROXY_CONTAINER) continue;
    for (const [probe, once] of [
      [c.livenessProbe, false],
      [c.readinessProbe, false],
      [c.startupProbe, true],
    ] as const) {
      if (!probe?.tcpSocket) continue;
      const port = resolvePort(c, probe.tcpSocket.port as number | string | undefined);
      if (port === null) continue;
      const since = elapsed - (probe.initialDelaySeconds ?? 0);
      if (since < 0) continue;
      let n = Math.floor(since / Math.max(1, probe.periodSeconds ?? 10)) + 2;
      if (once) n = Math.min(n, probe.failureThreshold ?? 3);
      budget.set(port, (budget.get(port) ?? 0) + n);
    }
  }
  return budget;
}

/** Default `proxy.ports.admin` of the chart. */
export const DEFAULT_PROXY_ADMIN_PORT = 4191;

/**
 * The proxy's admin port: it serves the proxy's own probes and metrics scrapes, never
 * application traffic, so nothing arriving there counts towards coverage.
 */
export function proxyAdminPort(pod: V1Pod | undefined): number {
  const proxy = [...(pod?.spec?.containers ?? []), ...(pod?.spec?.initContainers ?? [])].find(
    (c) => c.name === PROXY_CONTAINER,
  );
  return proxy?.ports?.find((p) => p.name === 'linkerd-admin')?.containerPort ?? DEFAULT_PROXY_ADMIN_PORT;
}

export function podIps(pod: V1Pod): Set<string> {
  const ips = new Set<string>();
  if (pod.status?.podIP) ips.add(pod.status.podIP);
  for (const ip of pod.status?.podIPs ?? []) if (ip.ip) ips.add(ip.ip);
  return ips;
}

/** Splits "10.0.0.1:8080" or "[fd00::1]:8080" into host and port. */
export function splitAuthority(authority: string): { host: string; port: number | null } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(authority);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : null };
  const parts = authority.split(':');
  if (parts.length === 2 && /^\d+$/.test(parts[1]!)) return { host: parts[0]!, port: Number(parts[1]) };
  return { host: authority, port: null };
}
