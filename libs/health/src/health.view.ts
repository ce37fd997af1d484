// Turns the stored snapshot into what GraphQL shows, applying the rule that stale or
// offline data is UNKNOWN, never a leftover HEALTHY.
import { HealthReport } from '@meshfleet/agent-protocol';
import { deriveHealth, extensionStatus, narrowChecksToNamespace, toCheckJson } from '@meshfleet/linkerd';
import { Cluster, ClusterHealth, ClusterStatus, HealthSample, HealthStatus } from '@meshfleet/db';
import { isReportFresh, ReportFreshness } from '@meshfleet/linkerd';
import {
  AgentStatusType,
  CertificateType,
  CheckResultLevel,
  ClusterHealthType,
  LinkerdStatusType,
  ClusterWorkloadType,
  HealthSampleType,
  MtlsStatusType,
  NamespaceCoverageSampleType,
  WorkloadMtlsType,
} from './dto/health.types';

function reportOf(h: ClusterHealth | null): HealthReport | null {
  return h ? (h.report as unknown as HealthReport) : null;
}

/** The report's checks, narrowed to one namespace's `--proxy` view when asked (narrow-checks.ts). */
function checksOf(report: HealthReport, namespace: string | null | undefined): HealthReport['checks'] {
  if (namespace == null) return report.checks;
  const ns = report.mtls.namespaces.find((n) => n.name === namespace);
  return narrowChecksToNamespace(report.checks, namespace, ns?.meshedPods, report.linkerd.version);
}

export function healthView(
  cluster: Cluster,
  h: ClusterHealth | null,
  f: ReportFreshness,
  namespace?: string | null,
): ClusterHealthType {
  const report = reportOf(h);
  const checks = report ? checksOf(report, namespace) : null;
  let unknownReason: string | null = null;
  if (!h || !report) unknownReason = 'No health report has been received yet';
  else if (cluster.status !== ClusterStatus.CONNECTED)
    unknownReason = `The agent is ${cluster.status.toLowerCase()}`;
  else if (!isReportFresh(h.generatedAt, f))
    unknownReason = `The last report is older than ${f.maxAgeSeconds} s`;
  const reasons = deriveHealth(report, {
    now: f.now,
    maxAgeSeconds: f.maxAgeSeconds,
    connected: cluster.status === ClusterStatus.CONNECTED,
  }).reasons;
  return {
    status: unknownReason ? HealthStatus.UNKNOWN : h!.status,
    reportedStatus: h?.status ?? HealthStatus.UNKNOWN,
    unknownReason,
    reasons:
      unknownReason && !report ? [{ code: 'NO_REPORT', level: 'info', message: unknownReason }] : reasons,
    checkedAt: h?.generatedAt ?? null,
    receivedAt: h?.receivedAt ?? null,
    errorCount: h?.errorCount ?? 0,
    warningCount: h?.warningCount ?? 0,
    categories: (checks?.categories ?? []).map((c) => ({
      name: c.name,
      checks: c.checks.map((k) => ({
        description: k.description,
        result: k.result as CheckResultLevel,
        hint: k.hint ?? null,
        error: k.error ?? null,
        fatal: k.fatal,
        namespaces: k.namespaces ?? null,
      })),
    })),
    notRun: (checks?.notRun ?? []).map((n) => ({
      category: n.category,
      description: n.description,
    })),
    checkJson: checks ? (toCheckJson(checks) as unknown as Record<string, unknown>) : null,
  };
}

function workloadView(w: HealthReport['mtls']['namespaces'][number]['workloads'][number]): WorkloadMtlsType {
  return { ...w, pods: w.pods ?? [], podsTruncated: w.podsTruncated ?? (w.pods ?? []).length < w.totalPods };
}

/** Every workload of the last report, optionally of one namespace, by namespace then kind/name. */
export function workloadsView(h: ClusterHealth | null, namespace?: string | null): ClusterWorkloadType[] {
  const report = reportOf(h);
  if (!report) return [];
  return report.mtls.namespaces
    .filter((n) => namespace == null || n.name === namespace)
    .flatMap((n) =>
      n.workloads.map((w) => ({
        ...workloadView(w),
        namespace: n.name,
        meshed: w.totalPods > 0 && w.meshedPods === w.totalPods,
      })),
    );
}

export function mtlsView(h: ClusterHealth | null): MtlsStatusType | null {
  const report = reportOf(h);
  if (!h || !report) return null;
  const m = report.mtls;
  return {
    podCoverage: h.podCoverage,
    trafficCoverage: h.trafficCoverage,
    requestCoverage: h.requestCoverage,
    connectionCoverage: h.connectionCoverage,
    meshedPods: m.meshedPods,
    totalPods: m.totalPods,
    sampled: m.sampled,
    podsScraped: m.trafficCoverage.podsScraped,
    namespaces: m.namespaces.map((n) => ({
      name: n.name,
      injection: n.injection,
      totalPods: n.totalPods,
      meshedPods: n.meshedPods,
      podCoverage: n.totalPods > 0 ? n.meshedPods / n.totalPods : null,
      proxyVersions: n.proxyVersions,
      staleTrustBundlePods: n.staleTrustBundlePods,
      workloads: n.workloads.map(workloadView),
    })),
  };
}

export function certificatesView(h: ClusterHealth | null, now: Date): CertificateType[] {
  const report = reportOf(h);
  return (report?.certificates ?? [])
    .map((c) => ({
      role: c.role,
      name: c.name,
      subject: c.subject,
      issuer: c.issuer,
      serialNumber: c.serialNumber,
      notBefore: new Date(c.notBefore),
      notAfter: new Date(c.notAfter),
      expiresInDays: Math.round(((Date.parse(c.notAfter) - now.getTime()) / 86_400_000) * 10) / 10,
      keyAlgorithm: c.keyAlgorithm,
      sha256Fingerprint: c.sha256Fingerprint,
      chainsToAnchors: c.chainsToAnchors,
      source: `${c.source.kind}/${c.source.namespace}/${c.source.name}#${c.source.key}`,
    }))
    .sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime());
}

export function linkerdView(h: ClusterHealth | null): LinkerdStatusType | null {
  const report = reportOf(h);
  if (!report) return null;
  const l = report.linkerd;
  return {
    installed: l.installed,
    version: l.version,
    channel: l.channel ?? null,
    ha: l.ha ?? null,
    proxyVersions: l.proxyVersions,
    skew: l.skew.status,
    extensions: (report.extensions ?? []).map(extensionStatus),
  };
}

export function agentView(cluster: Cluster): AgentStatusType {
  return {
    version: cluster.agentVersion,
    connected: cluster.status === ClusterStatus.CONNECTED,
    lastSeenAt: cluster.lastSeenAt,
    enrolledAt: cluster.enrolledAt,
  };
}

function namespaceSample(name: string, v: unknown): NamespaceCoverageSampleType | null {
  if (!Array.isArray(v) || typeof v[0] !== 'number' || typeof v[1] !== 'number') return null;
  const [meshedPods, totalPods] = v as [number, number];
  return { name, meshedPods, totalPods, podCoverage: totalPods > 0 ? meshedPods / totalPods : null };
}

/** A stored sample, its `{"<ns>": [meshed, total]}` coverage opened up; `namespace` picks one. */
export function sampleView(s: HealthSample, namespace?: string | null): HealthSampleType {
  const { namespaceCoverage, ...rest } = s;
  const byName =
    namespaceCoverage && typeof namespaceCoverage === 'object' && !Array.isArray(namespaceCoverage)
      ? (namespaceCoverage as Record<string, unknown>)
      : null;
  const namespaces = byName
    ? Object.keys(byName)
        .sort()
        .flatMap((n) => namespaceSample(n, byName[n]) ?? [])
    : null;
  return {
    at: rest.at,
    status: rest.status,
    podCoverage: rest.podCoverage,
    trafficCoverage: rest.trafficCoverage,
    requestCoverage: rest.requestCoverage,
    connectionCoverage: rest.connectionCoverage,
    meshedPods: rest.meshedPods,
    totalPods: rest.totalPods,
    errorCount: rest.errorCount,
    warningCount: rest.warningCount,
    namespaces,
    namespace:
      namespace && byName && Object.hasOwn(byName, namespace)
        ? namespaceSample(namespace, byName[namespace])
        : null,
    proxyMemoryBytes: rest.proxyMemoryBytes,
    proxyMemoryMaxBytes: rest.proxyMemoryMaxBytes,
    proxyCpuCores: rest.proxyCpuCores,
    controlPlaneMemoryBytes: rest.controlPlaneMemoryBytes,
  };
}
