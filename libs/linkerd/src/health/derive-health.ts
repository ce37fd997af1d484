// Derived fields the API stores next to the latest report, computed once at ingest: fleet-wide
// queries and the alert pass read these columns, never the report. Stale or missing data is
// UNKNOWN, never a leftover HEALTHY (the complaint users have about peer systems).
import type { CertificateEntry, HealthReport, HealthStatus } from '@meshfleet/agent-protocol';
import { headlineTrafficCoverage } from '../metrics/traffic-coverage';
import { isReportFresh } from './report-freshness';

/** The protocol's statuses plus NOT_INSTALLED: a connected cluster with no Linkerd control plane. */
export type DerivedHealthStatus = HealthStatus | 'NOT_INSTALLED';

/**
 * The status in the agent protocol's terms (heartbeats): NOT_INSTALLED is sent as UNKNOWN, the
 * heartbeat's own linkerdInstalled says the rest, so APIs of the previous protocol still read it.
 */
export function protocolHealthStatus(s: DerivedHealthStatus): HealthStatus {
  return s === 'NOT_INSTALLED' ? 'UNKNOWN' : s;
}

/** Why the status is what it is, machine-readable: a code, how much it weighs, and words. */
export interface HealthReason {
  code:
    | 'NO_REPORT'
    | 'AGENT_OFFLINE'
    | 'STALE_REPORT'
    | 'NO_CHECKS'
    | 'NOT_INSTALLED'
    | 'CHECK_FAILED'
    | 'CHECK_WARNING'
    | 'PROXY_VERSION_SKEW'
    | 'CERTIFICATE_EXPIRED'
    | 'CERTIFICATE_EXPIRING'
    | 'MTLS_COVERAGE_ZERO'
    | 'MTLS_COVERAGE_LOW'
    | 'PLAINTEXT_TRAFFIC';
  /** error: makes it UNHEALTHY; warning: DEGRADED; info: said, status unchanged. */
  level: 'error' | 'warning' | 'info';
  message: string;
}

/** Certificates closer to expiry than this are named among the reasons (linkerd check's default). */
const CERT_REASON_DAYS = 60;
/** Pod coverage below this is named (the MTLS_COVERAGE_BELOW alert's default threshold). */
const LOW_COVERAGE = 0.9;
const DAY_MS = 86_400_000;
const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;

export interface DeriveHealthOptions {
  /** When given with maxAgeSeconds, a report that is not fresh (isReportFresh) is UNKNOWN. */
  now?: Date;
  maxAgeSeconds?: number;
  /** The agent is OFFLINE: whatever the last report said, the status is UNKNOWN. */
  connected?: boolean;
}

export interface DerivedHealth {
  status: DerivedHealthStatus;
  /** Why: what made it UNHEALTHY, DEGRADED, UNKNOWN or NOT_INSTALLED, and what a HEALTHY one still lacks. */
  reasons: HealthReason[];
  checkedAt: string | null;
  linkerdInstalled: boolean | null;
  controlPlaneVersion: string | null;
  meshedPods: number | null;
  totalPods: number | null;
  podCoverage: number | null;
  /** The worse of requestCoverage and connectionCoverage (headlineTrafficCoverage). */
  trafficCoverage: number | null;
  /** Share of inbound requests over mTLS; null when none were seen. */
  requestCoverage: number | null;
  /** Share of inbound connections over mTLS; null when none were seen. */
  connectionCoverage: number | null;
  /** Proxy/control-plane version skew: none | within-support | unsupported | unknown. */
  proxySkew: string | null;
  /** The trust anchors' fingerprints and subjects, paired by position. */
  trustAnchorFingerprints: string[];
  trustAnchorSubjects: string[];
  earliestCertificateExpiry: { notAfter: string; role: CertificateEntry['role']; name: string } | null;
  errorCount: number;
  warningCount: number;
}

const EMPTY: DerivedHealth = {
  status: 'UNKNOWN',
  reasons: [{ code: 'NO_REPORT', level: 'info', message: 'No health report has been received yet' }],
  checkedAt: null,
  linkerdInstalled: null,
  controlPlaneVersion: null,
  meshedPods: null,
  totalPods: null,
  podCoverage: null,
  trafficCoverage: null,
  requestCoverage: null,
  connectionCoverage: null,
  proxySkew: null,
  trustAnchorFingerprints: [],
  trustAnchorSubjects: [],
  earliestCertificateExpiry: null,
  errorCount: 0,
  warningCount: 0,
};

function earliestExpiry(certs: CertificateEntry[]): DerivedHealth['earliestCertificateExpiry'] {
  const first = [...certs].sort((a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter))[0];
  return first ? { notAfter: first.notAfter, role: first.role, name: first.name } : null;
}

export function deriveHealth(
  report: HealthReport | null | undefined,
  options: DeriveHealthOptions = {},
): DerivedHealth {
  if (!report) return EMPTY;
  const checks = report.checks.categories.flatMap((c) => c.checks);
  const errorCount = checks.filter((c) => c.result === 'error').length;
  const warningCount = checks.filter((c) => c.result === 'warning').length;
  const stale =
    options.now !== undefined &&
    options.maxAgeSeconds !== undefined &&
    !isReportFresh(report.generatedAt, { now: options.now, maxAgeSeconds: options.maxAgeSeconds });

  const reasons: HealthReason[] = [];
  let status: DerivedHealthStatus;
  if (options.connected === false || stale || checks.length === 0) {
    status = 'UNKNOWN';
    if (options.connected === false)
      reasons.push({ code: 'AGENT_OFFLINE', level: 'info', message: 'The agent is not connected' });
    else if (stale)
      reasons.push({
        code: 'STALE_REPORT',
        level: 'info',
        message: `The last report (${report.generatedAt}) is older than ${options.maxAgeSeconds} s`,
      });
    else reasons.push({ code: 'NO_CHECKS', level: 'info', message: 'The last report ran no checks' });
  } else if (!report.linkerd.installed) {
    // Not a failure: the checks fail because there is nothing to check.
    status = 'NOT_INSTALLED';
    reasons.push({
      code: 'NOT_INSTALLED',
      level: 'info',
      message: 'No Linkerd control plane in this cluster (linkerd-config not found)',
    });
  } else {
    status = errorCount > 0 ? 'UNHEALTHY' : warningCount > 0 ? 'DEGRADED' : 'HEALTHY';
    reasons.push(...meshReasons(report, options.now ?? new Date(report.generatedAt)));
  }

  const traffic = report.mtls.trafficCoverage;
  const anchors = report.certificates.filter((c) => c.role === 'trust-anchor');
  return {
    status,
    reasons,
    checkedAt: report.generatedAt,
    linkerdInstalled: report.linkerd.installed,
    controlPlaneVersion: report.linkerd.version,
    meshedPods: report.mtls.meshedPods,
    totalPods: report.mtls.totalPods,
    podCoverage: report.mtls.podCoverage,
    trafficCoverage: headlineTrafficCoverage(traffic),
    requestCoverage: traffic.requests?.share ?? null,
    connectionCoverage: traffic.connections?.share ?? null,
    proxySkew: report.linkerd.skew.status,
    trustAnchorFingerprints: anchors.map((c) => c.sha256Fingerprint),
    trustAnchorSubjects: anchors.map((c) => c.subject),
    earliestCertificateExpiry: earliestExpiry(report.certificates),
    errorCount,
    warningCount,
  };
}

/** The reasons of an installed mesh: failed and warning checks, skew, certificates, coverage. */
function meshReasons(report: HealthReport, now: Date): HealthReason[] {
  const out: HealthReason[] = [];
  for (const c of report.checks.categories)
    for (const k of c.checks) {
      if (k.result !== 'error' && k.result !== 'warning') continue;
      out.push({
        code: k.result === 'error' ? 'CHECK_FAILED' : 'CHECK_WARNING',
        level: k.result,
        message: `${c.name}: ${k.description}${k.error ? ` (${k.error})` : ''}`,
      });
    }
  const skew = report.linkerd.skew;
  if (skew.status === 'within-support' || skew.status === 'unsupported')
    out.push({
      code: 'PROXY_VERSION_SKEW',
      level: skew.status === 'unsupported' ? 'warning' : 'info',
      message: `Proxies run ${skew.oldestProxy ?? '?'}${skew.newestProxy && skew.newestProxy !== skew.oldestProxy ? `–${skew.newestProxy}` : ''}, the control plane ${skew.controlPlane ?? '?'}${skew.status === 'unsupported' ? ': more than one major behind' : ''}`,
    });
  for (const c of report.certificates) {
    const days = (Date.parse(c.notAfter) - now.getTime()) / DAY_MS;
    if (days <= 0)
      out.push({
        code: 'CERTIFICATE_EXPIRED',
        level: 'error',
        message: `The ${c.role} certificate ${c.name} expired at ${c.notAfter}`,
      });
    else if (days <= CERT_REASON_DAYS)
      out.push({
        code: 'CERTIFICATE_EXPIRING',
        level: 'warning',
        message: `The ${c.role} certificate ${c.name} expires in ${Math.ceil(days)} day(s)`,
      });
  }
  const m = report.mtls;
  if (m.totalPods > 0 && m.podCoverage !== null) {
    if (m.podCoverage === 0)
      out.push({
        code: 'MTLS_COVERAGE_ZERO',
        level: 'warning',
        message: `mTLS coverage is 0 %: none of ${m.totalPods} pods has a Linkerd proxy`,
      });
    else if (m.podCoverage < LOW_COVERAGE)
      out.push({
        code: 'MTLS_COVERAGE_LOW',
        level: 'info',
        message: `${m.meshedPods} of ${m.totalPods} pods are meshed (${pct(m.podCoverage)})`,
      });
  }
  const traffic = headlineTrafficCoverage(m.trafficCoverage);
  if (traffic !== null && traffic < 1)
    out.push({
      code: 'PLAINTEXT_TRAFFIC',
      level: 'info',
      message: `${pct(traffic)} of inbound traffic to meshed pods is mTLS; the rest is plaintext`,
    });
  return out;
}
