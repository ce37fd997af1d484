import { Injectable } from '@nestjs/common';
import { ClusterListFilter, clusterWhereSql } from '@meshfleet/clusters';
import { Prisma, PrismaService } from '@meshfleet/db';
import type { VizPrometheusResources } from '@meshfleet/agent-protocol';
import type { FleetResourceRow } from './resources/resources.repository';

export interface FleetRow {
  provider: string;
  region: string | null;
  health: string;
  clusters: number;
}

export interface FleetAggregates {
  groups: FleetRow[];
  statuses: { status: string; clusters: number }[];
  versions: { version: string; clusters: number; lagging: number }[];
  coverage: { meshed: number | null; total: number | null; traffic: number | null };
  worst: { id: string; name: string; podCoverage: number | null; trafficCoverage: number | null }[];
  expiring: {
    clusterId: string;
    clusterName: string;
    role: string;
    name: string;
    notAfter: string;
  }[];
  /** Clusters sharing the same trust-anchor bundle (fingerprints and subjects pair up by position). */
  anchorSets: { fingerprints: string[]; subjects: string[]; count: number; clusters: string[] }[];
  catalog: string[];
}

export interface DriftCounts {
  clustersChecked: number;
  clustersWithDrift: number;
  findings: number;
}

export interface VizPrometheusRow {
  id: string;
  name: string;
  meshedPods: number;
  prometheus: VizPrometheusResources;
}

/** What the unfiltered summary reads from FleetAggregate and the top-N indexes, in one statement. */
export interface StoredFleetAggregates extends FleetAggregates {
  /** anchorSets holds only the bundles of these anchors (the listed ones), anchorCount counts all. */
  listedAnchors: string[];
  anchorCount: number;
  drift: DriftCounts;
  resources: FleetResourceRow;
  viz: VizPrometheusRow[];
}

/** The times a summary is taken against. */
export interface SummaryTimes {
  /** A snapshot generated before this is stale (its health counts as UNKNOWN). */
  freshAfter: Date;
  /** Certificates expiring before this are listed. */
  expiringBefore: Date;
}

/** How long the summary's lists are. */
export interface SummaryLimits {
  expiring: number;
  worstCoverage: number;
  /** Cluster names per trust-anchor group. */
  anchorNames: number;
  /** Trust anchors listed (stored path: only they get names). */
  anchorsListed: number;
  resourceWorst: number;
}

/**
 * The certificates of the clusters in CTE `soonest` expiring before `before`, soonest first: each
 * of those clusters' reports is opened, no other.
 */
function expiringSql(before: Date, limit: number): Prisma.Sql {
  return Prisma.sql`COALESCE((SELECT json_agg(x) FROM (
          SELECT s."id" AS "clusterId", s."name" AS "clusterName", cert->>'role' AS role, cert->>'name' AS name,
                 cert->>'notAfter' AS "notAfter"
          FROM soonest s JOIN "ClusterHealth" ch ON ch."clusterId" = s."id",
               jsonb_array_elements(ch."report"->'certificates') AS cert
          WHERE (cert->>'notAfter')::timestamptz < ${before}
          ORDER BY (cert->>'notAfter')::timestamptz ASC LIMIT ${limit}) x), '[]')`;
}

/** How many bundled-Prometheus warnings a summary can list (the caller keeps the first 50). */
export const VIZ_ROWS = 50;

/**
 * Whether FleetAggregate can answer a summary under this filter: its keys carry provider, region
 * and status; a name search or a label selector needs the clusters themselves.
 */
export function aggregatesServe(f: ClusterListFilter): boolean {
  return !f.search && (f.labelSelector ?? []).length === 0 && f.region !== '';
}

/** FleetAggregate rows under the filter (the same conditions clusterWhereSql puts on clusters). */
function aggregateWhereSql(org: string, f: ClusterListFilter): Prisma.Sql {
  const conds: Prisma.Sql[] = [Prisma.sql`a."organizationId" = ${org}::uuid`, Prisma.sql`a."clusters" <> 0`];
  if (f.provider) conds.push(Prisma.sql`a."provider" = ${f.provider}`);
  if (f.region) conds.push(Prisma.sql`a."region" = ${f.region}`);
  if (f.status) conds.push(Prisma.sql`a."status" = ${f.status}`);
  else if (!f.includeDeregistered) conds.push(Prisma.sql`a."status" <> 'DEREGISTERED'`);
  return Prisma.join(conds, ' AND ');
}

/**
 * Fleet-wide aggregates straight from the stored snapshots (Cluster + ClusterHealth), in one
 * statement: the filtered clusters are read once, narrow (no report), into a CTE that every
 * aggregate shares. Only the clusters whose certificates can make the expiring list have their
 * report opened. Health is UNKNOWN unless the agent is connected and the report is fresh.
 */
@Injectable()
export class FleetSummaryRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Drift counts over the filtered clusters, from the generated driftCount column. */
  async driftCounts(
    org: string,
    f: ClusterListFilter,
  ): Promise<{ clustersChecked: number; clustersWithDrift: number; findings: number }> {
    const rows = await this.prisma.$queryRaw<
      { clustersChecked: number; clustersWithDrift: number; findings: number }[]
    >`
      SELECT (COUNT(h."driftCount"))::int AS "clustersChecked",
             (COUNT(*) FILTER (WHERE h."driftCount" > 0))::int AS "clustersWithDrift",
             COALESCE(SUM(h."driftCount"), 0)::int AS "findings"
      FROM "Cluster" c JOIN "ClusterHealth" h ON h."clusterId" = c."id"
      WHERE ${clusterWhereSql(org, f)}`;
    return rows[0] ?? { clustersChecked: 0, clustersWithDrift: 0, findings: 0 };
  }

  /** Clusters whose latest resource block shows viz's bundled Prometheus, with their meshed pods. */
  async vizPrometheus(
    org: string,
    f: ClusterListFilter,
  ): Promise<{ id: string; name: string; meshedPods: number; prometheus: VizPrometheusResources }[]> {
    return this.prisma.$queryRaw`
      SELECT c."id", c."name", h."meshedPods", h."resources"->'vizPrometheus' AS prometheus
      FROM "Cluster" c JOIN "ClusterHealth" h ON h."clusterId" = c."id"
      WHERE ${clusterWhereSql(org, f)} AND jsonb_typeof(h."resources"->'vizPrometheus') = 'object'`;
  }

  /**
   * The summary from the aggregates Postgres keeps (FleetAggregate) plus short index reads for
   * what is per cluster: the stale snapshots (fresh health becomes UNKNOWN when the report is
   * older than the freshness window, which no statement marks), and the first N of each list
   * (worst coverage, soonest certificates, largest proxies, Prometheus warnings, anchor names).
   * Cost grows with the number of distinct keys and stale clusters, not with the fleet.
   */
  async stored(
    org: string,
    f: ClusterListFilter,
    { freshAfter, expiringBefore }: SummaryTimes,
    limits: SummaryLimits,
  ): Promise<StoredFleetAggregates> {
    const cw = clusterWhereSql(org, f);
    // The cluster of a snapshot `ch` read from an index, if it passes the filter: a lookup by
    // primary key per snapshot (OFFSET 0 keeps the planner from turning it into a scan of every
    // cluster joined by hash, which it prefers when it expects many snapshots).
    const filtered = Prisma.sql`LATERAL (SELECT c."id", c."name", c."provider", c."region", c."status"
      FROM "Cluster" c WHERE c."id" = ch."clusterId" AND ${cw} OFFSET 0) c`;
    const rows = await this.prisma.$queryRaw<StoredFleetAggregates[]>`
      WITH a AS MATERIALIZED (
        SELECT * FROM "FleetAggregate" a WHERE ${aggregateWhereSql(org, f)}
      ), h AS (
        SELECT * FROM a WHERE a."kind" = 'health'
      ), stale AS (
        -- Connected clusters whose snapshot is past the freshness window count as UNKNOWN.
        SELECT c."provider"::text AS provider, COALESCE(c."region", '') AS region, ch."status"::text AS health,
               COUNT(*)::int AS n
        FROM meshfleet_snapshots_before(${org}::uuid, ${freshAfter}) ch, ${filtered}
        WHERE c."status" = 'CONNECTED'
        GROUP BY 1, 2, 3
      ), g AS (
        SELECT provider, region, CASE WHEN status = 'CONNECTED' AND health <> '' THEN health ELSE 'UNKNOWN' END AS health,
               clusters::bigint AS n FROM h
        UNION ALL SELECT provider, region, health, -n FROM stale
        UNION ALL SELECT provider, region, 'UNKNOWN', n FROM stale
      ), soonest AS (
        SELECT c."id", c."name" FROM "ClusterHealth" ch JOIN "Cluster" c ON c."id" = ch."clusterId"
        WHERE ch."organizationId" = ${org}::uuid AND ch."earliestCertExpiry" < ${expiringBefore} AND ${cw}
        ORDER BY ch."earliestCertExpiry" LIMIT ${limits.expiring}
      ), anchor AS (
        SELECT "anchorsKey", (array_agg(anchors))[1] AS fingerprints, (array_agg(subjects))[1] AS subjects,
               SUM(clusters)::int AS count
        FROM a WHERE a."kind" = 'anchors' GROUP BY "anchorsKey" HAVING SUM(clusters) > 0
      ), anchor_fp AS (
        SELECT DISTINCT n."anchorsKey", e.fp FROM anchor n, jsonb_array_elements_text(n.fingerprints) AS e(fp)
      ), top AS (
        -- The anchors the summary lists (most shared first, as the caller orders them): only
        -- their bundles are read further, and get cluster names.
        SELECT x.fp FROM anchor_fp x JOIN anchor n USING ("anchorsKey")
        GROUP BY x.fp ORDER BY SUM(n.count) DESC, x.fp COLLATE "C" LIMIT ${limits.anchorsListed}
      ), listed AS (
        SELECT DISTINCT f."anchorsKey" FROM anchor_fp f WHERE f.fp IN (SELECT fp FROM top)
      )
      SELECT
        COALESCE((SELECT json_agg(x) FROM (
          SELECT provider, NULLIF(region, '') AS region, health, SUM(n)::int AS clusters
          FROM g GROUP BY 1, 2, 3 HAVING SUM(n) > 0) x), '[]') AS groups,
        COALESCE((SELECT json_agg(x) FROM (
          SELECT status, SUM(clusters)::int AS clusters FROM h GROUP BY 1) x), '[]') AS statuses,
        COALESCE((SELECT json_agg(x) FROM (
          SELECT version, SUM(clusters)::int AS clusters, SUM(lagging)::int AS lagging
          FROM a WHERE a."kind" = 'version' GROUP BY 1 HAVING SUM(clusters) > 0 ORDER BY 2 DESC, 1) x), '[]') AS versions,
        (SELECT json_build_object('meshed', SUM("meshedPods"), 'total', SUM("totalPods"),
                  'traffic', SUM("trafficWeighted") / NULLIF(SUM("trafficPods"), 0)) FROM h) AS coverage,
        COALESCE((SELECT json_agg(x) FROM (
          SELECT c."id", c."name", ch."podCoverage", ch."trafficCoverage"
          FROM "ClusterHealth" ch JOIN "Cluster" c ON c."id" = ch."clusterId"
          WHERE ch."organizationId" = ${org}::uuid AND ch."podCoverage" IS NOT NULL AND ${cw}
          ORDER BY ch."podCoverage" ASC, c."name" ASC LIMIT ${limits.worstCoverage}) x), '[]') AS worst,
        ${expiringSql(expiringBefore, limits.expiring)} AS expiring,
        COALESCE((SELECT json_agg(x) FROM (
          SELECT n.fingerprints, n.subjects, n.count, COALESCE((
              SELECT array_agg(c."name") FROM (
                SELECT c."name" FROM "ClusterHealth" ch, ${filtered}
                WHERE ch."organizationId" = ${org}::uuid
                  AND md5(ch."trustAnchorFingerprints"::text || ' ' || COALESCE(ch."trustAnchorSubjects"::text, '')) = n."anchorsKey"
                LIMIT ${limits.anchorNames}) c), '{}') AS clusters
          FROM anchor n WHERE n."anchorsKey" IN (SELECT "anchorsKey" FROM listed)) x), '[]') AS "anchorSets",
        COALESCE((SELECT json_agg(fp) FROM top), '[]') AS "listedAnchors",
        (SELECT COUNT(DISTINCT fp)::int FROM anchor_fp) AS "anchorCount",
        COALESCE((SELECT json_agg(r."version") FROM "LinkerdRelease" r
          WHERE r."organizationId" IS NULL OR r."organizationId" = ${org}::uuid), '[]') AS catalog,
        (SELECT json_build_object('clustersChecked', COALESCE(SUM("driftChecked"), 0),
                  'clustersWithDrift', COALESCE(SUM("driftClusters"), 0),
                  'findings', COALESCE(SUM("driftFindings"), 0)) FROM h) AS drift,
        (SELECT json_build_object('clusters', COALESCE(SUM("resourceClusters"), 0), 'measured', SUM("proxyPods"),
                  'cpu', SUM("proxyCpu"), 'mem', SUM("proxyMemory"),
                  'cpMem', CASE WHEN SUM("controlPlaneMemoryEntries") > 0 THEN SUM("controlPlaneMemory") END,
                  'nearLimit', SUM("proxyNearLimit"), 'oom', SUM("proxyOomKilled"),
                  'worst', COALESCE((SELECT json_agg(w) FROM (
                    SELECT c."id", c."name", ch."proxyMemoryMax" AS max,
                      (ch."resources"->'proxy'->>'mem')::float8 AS mem, (ch."resources"->'proxy'->>'oomKilled')::int AS oom
                    FROM "ClusterHealth" ch JOIN "Cluster" c ON c."id" = ch."clusterId"
                    WHERE ch."organizationId" = ${org}::uuid AND ch."proxyMemoryMax" IS NOT NULL AND ${cw}
                    ORDER BY ch."proxyMemoryMax" DESC, c."name" LIMIT ${limits.resourceWorst}) w), '[]'))
         FROM h) AS resources,
        COALESCE((SELECT json_agg(v) FROM (
          SELECT c."id", c."name", ch."meshedPods", ch."resources"->'vizPrometheus' AS prometheus
          FROM "ClusterHealth" ch JOIN "Cluster" c ON c."id" = ch."clusterId"
          WHERE ch."organizationId" = ${org}::uuid AND ch."vizPrometheusOverrun" IS NOT NULL AND ${cw}
          ORDER BY ch."vizPrometheusOverrun" DESC, c."name" LIMIT ${VIZ_ROWS}) v), '[]') AS viz`;
    return rows[0]!;
  }

  async aggregates(
    org: string,
    f: ClusterListFilter,
    { freshAfter, expiringBefore }: SummaryTimes,
    limits: SummaryLimits,
  ): Promise<FleetAggregates> {
    const rows = await this.prisma.$queryRaw<FleetAggregates[]>`
      WITH f AS MATERIALIZED (
        -- Enums stay enums per row (NULL health is UNKNOWN); only the few grouped rows become text.
        SELECT c."id", c."name", c."provider", c."region", c."status",
          CASE WHEN c."status" = 'CONNECTED' AND h."generatedAt" >= ${freshAfter} THEN h."status" END AS health,
          h."clusterId" IS NOT NULL AS reported, h."linkerdInstalled" AS installed,
          h."controlPlaneVersion" AS version, h."proxySkew" AS skew, h."podCoverage" AS pc,
          h."trafficCoverage" AS tc, h."meshedPods" AS meshed, h."totalPods" AS total,
          h."earliestCertExpiry" AS expiry, h."trustAnchorFingerprints" AS anchors,
          h."trustAnchorSubjects" AS subjects
        FROM "Cluster" c LEFT JOIN "ClusterHealth" h ON h."clusterId" = c."id"
        WHERE ${clusterWhereSql(org, f)}
      ), soonest AS (
        -- The N soonest certificates belong to the N clusters whose earliest expiry is soonest.
        SELECT "id", "name" FROM f WHERE expiry < ${expiringBefore} ORDER BY expiry LIMIT ${limits.expiring}
      )
      SELECT
        COALESCE((SELECT json_agg(x) FROM (
          SELECT provider::text AS provider, region, COALESCE(health::text, 'UNKNOWN') AS health,
                 COUNT(*)::int AS clusters
          FROM f GROUP BY f.provider, f.region, f.health) x), '[]') AS groups,
        COALESCE((SELECT json_agg(x) FROM (
          SELECT status::text AS status, COUNT(*)::int AS clusters FROM f GROUP BY f.status) x), '[]') AS statuses,
        COALESCE((SELECT json_agg(x) FROM (
          SELECT version, COUNT(*)::int AS clusters,
                 (COUNT(*) FILTER (WHERE skew NOT IN ('none', 'unknown')))::int AS lagging
          FROM f WHERE installed AND version IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1) x), '[]') AS versions,
        (SELECT json_build_object('meshed', SUM(meshed), 'total', SUM(total),
                  'traffic', SUM(tc * total) / NULLIF(SUM(total) FILTER (WHERE tc IS NOT NULL), 0))
         FROM f WHERE reported) AS coverage,
        COALESCE((SELECT json_agg(x) FROM (
          SELECT "id", "name", pc AS "podCoverage", tc AS "trafficCoverage" FROM f
          WHERE pc IS NOT NULL ORDER BY pc ASC, "name" ASC LIMIT ${limits.worstCoverage}) x), '[]') AS worst,
        ${expiringSql(expiringBefore, limits.expiring)} AS expiring,
        -- Clusters grouped by their whole trust-anchor bundle: few groups, merged per anchor by the
        -- caller. A hash aggregate with a sample of names (an ordered aggregate would sort them all).
        COALESCE((SELECT json_agg(x) FROM (
          SELECT anchors AS fingerprints, subjects, COUNT(*)::int AS count,
                 (array_agg("name"))[1:${limits.anchorNames}] AS clusters
          FROM f WHERE jsonb_array_length(anchors) > 0 GROUP BY anchors, subjects) x), '[]') AS "anchorSets",
        -- Release versions the organization can install (shipped catalog and its imports).
        COALESCE((SELECT json_agg(r."version") FROM "LinkerdRelease" r
          WHERE r."organizationId" IS NULL OR r."organizationId" = ${org}::uuid), '[]') AS catalog`;
    return rows[0]!;
  }
}
