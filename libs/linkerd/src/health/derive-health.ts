// Derived fields the API stores next to the latest report, computed once at ingest: fleet-wide
// queries and the alert pass read these columns, never the report. Stale or missing data is
// UNKNOWN, never a leftover HEALTHY (the complaint users have about peer systems).
import type { CertificateEntry, HealthReport, HealthStatus } from '@meshfleet/agent-protocol';
import { headlineTrafficCoverage } from '../metrics/traffic-coverage';
import { isReportFresh } from './report-freshness';

export interface DeriveHealthOptions {
  /** When given with maxAgeSeconds, a report that is not fresh (isReportFresh) is UNKNOWN. */
  now?: Date;
  maxAgeSeconds?: number;
  /** The agent is OFFLINE: whatever the last report said, the status is UNKNOWN. */
  connected?: boolean;
}

export interface DerivedHealth {
  status: HealthStatus;
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

  let status: HealthStatus;
  if (options.connected === false || stale || checks.length === 0) status = 'UNKNOWN';
  else if (errorCount > 0) status = 'UNHEALTHY';
  else if (warningCount > 0) status = 'DEGRADED';
  else status = 'HEALTHY';

  const traffic = report.mtls.trafficCoverage;
  const anchors = report.certificates.filter((c) => c.role === 'trust-anchor');
  return {
    status,
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
