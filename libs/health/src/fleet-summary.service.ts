import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { ClusterListQuery, ClustersService } from '@meshfleet/clusters';
import { ValidationError } from '@meshfleet/core';
import {
  compareLinkerdVersions,
  freshSince,
  parseLinkerdVersion,
  prometheusSizing,
  prometheusSizingOverrun,
  reportFreshness,
} from '@meshfleet/linkerd';
import type { VizPrometheusResources } from '@meshfleet/agent-protocol';
import {
  aggregatesServe,
  FleetAggregates,
  FleetSummaryRepository,
  SummaryLimits,
} from './fleet-summary.repository';
import {
  FleetSummaryType,
  HealthCountsType,
  TrustAnchorGroupType,
  VizPrometheusSizingWarningType,
} from './dto/fleet-summary.types';
import { FLEET_WORST_CLUSTERS, fleetResourcesView, ResourcesService } from './resources/resources.service';

const emptyCounts = (): HealthCountsType => ({
  total: 0,
  healthy: 0,
  degraded: 0,
  unhealthy: 0,
  unknown: 0,
  notInstalled: 0,
});

function add(c: HealthCountsType, health: string, n: number): void {
  c.total += n;
  const key = (health === 'NOT_INSTALLED' ? 'notInstalled' : health.toLowerCase()) as keyof Omit<
    HealthCountsType,
    'total'
  >;
  if (key in c) c[key] += n;
  else c.unknown += n;
}

@Injectable()
export class FleetSummaryService {
  constructor(
    private readonly repo: FleetSummaryRepository,
    private readonly clusters: ClustersService,
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly resources: ResourcesService,
  ) {}

  async summary(
    organizationId: string,
    query: ClusterListQuery,
    expiringWithinDays: number,
  ): Promise<FleetSummaryType> {
    if (!Number.isInteger(expiringWithinDays) || expiringWithinDays < 0 || expiringWithinDays > 3650)
      throw new ValidationError('expiringWithinDays must be between 0 and 3650', 'expiringWithinDays');
    const f = this.clusters.listFilter(query);
    const freshness = reportFreshness(this.config.reportIntervalSeconds);
    const now = freshness.now;
    const freshAfter = freshSince(freshness);
    const expiringBefore = new Date(now.getTime() + expiringWithinDays * 86_400_000);
    const times = { freshAfter, expiringBefore };
    const stored = aggregatesServe(f)
      ? await this.repo.stored(organizationId, f, times, SUMMARY_LIMITS)
      : null;
    const { groups, statuses, versions, coverage, worst, expiring, anchorSets, catalog } =
      stored ?? (await this.repo.aggregates(organizationId, f, times, SUMMARY_LIMITS));
    const drift = stored ? stored.drift : await this.repo.driftCounts(organizationId, f);
    // The stored path reads only the bundles of the listed anchors: their other anchors (counted
    // in part) are left out.
    const merged = trustAnchorGroups(anchorSets);
    const listed = stored ? new Set(stored.listedAnchors) : null;
    const anchors = listed ? merged.filter((g) => listed.has(g.sha256Fingerprint)) : merged;
    const health = emptyCounts();
    const providers = new Map<string, HealthCountsType>();
    const regions = new Map<string | null, number>();
    for (const r of groups) {
      const n = r.clusters;
      add(health, r.health, n);
      const p = providers.get(r.provider) ?? emptyCounts();
      add(p, r.health, n);
      providers.set(r.provider, p);
      regions.set(r.region, (regions.get(r.region) ?? 0) + n);
    }
    const status = (s: string) => Number(statuses.find((x) => x.status === s)?.clusters ?? 0);
    const newest = newestOf(catalog);
    const withLinkerd = versions.reduce((a, v) => a + Number(v.clusters), 0);
    const behind = newest
      ? versions
          .filter((v) => {
            const a = parseLinkerdVersion(v.version);
            const b = parseLinkerdVersion(newest);
            return (
              a &&
              b &&
              a.major !== null &&
              b.major !== null &&
              (a.major < b.major || (a.channel === b.channel && (compareLinkerdVersions(a, b) ?? 0) < 0))
            );
          })
          .reduce((a, v) => a + Number(v.clusters), 0)
      : 0;
    return {
      health,
      drift,
      byProvider: [...providers]
        .map(([provider, c]) => ({ provider, ...c }))
        .sort((a, b) => a.provider.localeCompare(b.provider)),
      byRegion: [...regions]
        .map(([region, clusters]) => ({ region, clusters }))
        .sort((a, b) => b.clusters - a.clusters),
      agentsOffline: status('OFFLINE'),
      pendingEnrollment: status('PENDING'),
      versions: versions.map((v) => ({
        version: v.version,
        clusters: Number(v.clusters),
        proxiesLagging: Number(v.lagging),
      })),
      newestRelease: newest,
      clustersBehindNewest: behind,
      clustersWithoutLinkerd: Math.max(0, health.total - withLinkerd),
      podCoverage:
        coverage.total && Number(coverage.total) > 0
          ? Number(coverage.meshed) / Number(coverage.total)
          : null,
      trafficCoverage: coverage.traffic === null ? null : Number(coverage.traffic),
      worstCoverage: worst.map((w) => ({
        clusterId: w.id,
        clusterName: w.name,
        podCoverage: w.podCoverage,
        trafficCoverage: w.trafficCoverage,
      })),
      expiringCertificates: expiring.map((e) => ({
        clusterId: e.clusterId,
        clusterName: e.clusterName,
        role: e.role,
        name: e.name,
        notAfter: new Date(e.notAfter),
        expiresInDays: Math.round(((Date.parse(e.notAfter) - now.getTime()) / 86_400_000) * 10) / 10,
      })),
      trustAnchorGroups: anchors.slice(0, ANCHOR_GROUPS_LISTED),
      trustAnchorGroupCount: stored ? stored.anchorCount : anchors.length,
      resources: stored
        ? fleetResourcesView(stored.resources)
        : await this.resources.fleet(organizationId, f),
      vizPrometheusWarnings: vizPrometheusWarnings(
        stored ? stored.viz : await this.repo.vizPrometheus(organizationId, f),
      ),
    };
  }
}

/** How many sizing warnings fleetSummary lists at most. */
export const SIZING_WARNINGS_LISTED = 50;

const mib = (b: number) => `${Math.round(b / 1048576)} MiB`;

/** Clusters whose bundled viz Prometheus is beyond its sizing, the largest overrun first. */
export function vizPrometheusWarnings(
  rows: { id: string; name: string; meshedPods: number; prometheus: VizPrometheusResources }[],
): VizPrometheusSizingWarningType[] {
  const out: Array<VizPrometheusSizingWarningType & { overrun: number }> = [];
  for (const r of rows) {
    const p = r.prometheus;
    const { sizingBytes, reasons } = prometheusSizing(r.meshedPods, p);
    if (reasons.length === 0) continue;
    const said = reasons.map((x) =>
      x === 'MEMORY_ABOVE_SIZING'
        ? `uses ${mib(p.mem!)}, above 1.5 × the ${mib(sizingBytes)} its ${r.meshedPods} meshed pods call for (~5 MB each)`
        : x === 'LIMIT_BELOW_SIZING'
          ? `has a ${mib(p.limit!)} memory limit, below the ${mib(sizingBytes)} its ${r.meshedPods} meshed pods call for`
          : `keeps ${p.retention} of data; the sizing assumes 6h`,
    );
    out.push({
      clusterId: r.id,
      clusterName: r.name,
      meshedPods: r.meshedPods,
      sizingBytes,
      memoryBytes: p.mem,
      memoryLimitBytes: p.limit,
      retention: p.retention,
      reasons,
      message: `viz's bundled Prometheus on ${r.name} ${said.join('; ')}: point viz at your own Prometheus (prometheusUrl) or size it up`,
      overrun: prometheusSizingOverrun(r.meshedPods, p) ?? 0,
    });
  }
  return out
    .sort((a, b) => b.overrun - a.overrun || a.clusterName.localeCompare(b.clusterName))
    .slice(0, SIZING_WARNINGS_LISTED)
    .map(({ overrun: _o, ...w }) => w);
}

/** The newest release among the given versions (the catalog). */
export function newestOf(versions: string[]): string | null {
  let best: string | null = null;
  for (const v of versions) {
    const p = parseLinkerdVersion(v);
    if (!p || p.major === null) continue;
    const b = best ? parseLinkerdVersion(best) : null;
    if (
      !b ||
      b.major === null ||
      p.major > b.major ||
      (p.major === b.major && p.channel === b.channel && (compareLinkerdVersions(p, b) ?? 0) > 0)
    )
      best = v;
  }
  return best;
}

/** How many trust anchors fleetSummary lists at most, most shared first (a standalone cluster has its own). */
export const ANCHOR_GROUPS_LISTED = 100;

/** How many cluster names a trust-anchor group lists at most (clusterCount counts them all). */
export const ANCHOR_GROUP_NAMES = 100;

/** The lengths of fleetSummary's lists. */
const SUMMARY_LIMITS: SummaryLimits = {
  expiring: 50,
  worstCoverage: 5,
  anchorNames: ANCHOR_GROUP_NAMES,
  anchorsListed: ANCHOR_GROUPS_LISTED,
  resourceWorst: FLEET_WORST_CLUSTERS,
};

/**
 * Clusters per trust anchor, most shared first, from clusters grouped by bundle: a cluster whose
 * bundle holds two anchors (a rotation) counts in both groups, once each. Every cluster has one
 * bundle, so counts add up across bundles. Names: all of them up to ANCHOR_GROUP_NAMES, else a
 * sample of that many, alphabetical.
 */
export function trustAnchorGroups(sets: FleetAggregates['anchorSets']): TrustAnchorGroupType[] {
  const byAnchor = new Map<string, { subject: string; count: number; clusters: string[] }>();
  for (const s of sets) {
    const counted = new Set<string>();
    s.fingerprints.forEach((fp, i) => {
      const subject = s.subjects[i] ?? '';
      const g = byAnchor.get(fp) ?? { subject, count: 0, clusters: [] };
      byAnchor.set(fp, g);
      if (subject < g.subject) g.subject = subject;
      if (counted.has(fp)) return;
      counted.add(fp);
      g.count += s.count;
      g.clusters.push(...s.clusters);
    });
  }
  return [...byAnchor]
    .map(([fp, g]) => ({
      sha256Fingerprint: fp,
      subject: g.subject,
      clusterCount: g.count,
      // Default sort: by code unit, as Postgres' C collation would.
      clusters: [...new Set(g.clusters)].sort().slice(0, ANCHOR_GROUP_NAMES),
    }))
    .sort(
      (a, b) =>
        b.clusterCount - a.clusterCount ||
        (a.sha256Fingerprint < b.sha256Fingerprint ? -1 : a.sha256Fingerprint > b.sha256Fingerprint ? 1 : 0),
    );
}
