import { Injectable } from '@nestjs/common';
import { ClusterListFilter, clusterWhereSql } from '@meshfleet/clusters';
import { PrismaService } from '@meshfleet/db';
import type { VizPrometheusResources } from '@meshfleet/agent-protocol';

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

  async aggregates(
    org: string,
    f: ClusterListFilter,
    freshAfter: Date,
    expiringBefore: Date,
    expiringLimit: number,
    worstLimit: number,
    anchorNames: number,
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
        SELECT "id", "name" FROM f WHERE expiry < ${expiringBefore} ORDER BY expiry LIMIT ${expiringLimit}
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
          WHERE pc IS NOT NULL ORDER BY pc ASC, "name" ASC LIMIT ${worstLimit}) x), '[]') AS worst,
        COALESCE((SELECT json_agg(x) FROM (
          SELECT s."id" AS "clusterId", s."name" AS "clusterName", cert->>'role' AS role, cert->>'name' AS name,
                 cert->>'notAfter' AS "notAfter"
          FROM soonest s JOIN "ClusterHealth" h ON h."clusterId" = s."id",
               jsonb_array_elements(h."report"->'certificates') AS cert
          WHERE (cert->>'notAfter')::timestamptz < ${expiringBefore}
          ORDER BY (cert->>'notAfter')::timestamptz ASC LIMIT ${expiringLimit}) x), '[]') AS expiring,
        -- Clusters grouped by their whole trust-anchor bundle: few groups, merged per anchor by the
        -- caller. A hash aggregate with a sample of names (an ordered aggregate would sort them all).
        COALESCE((SELECT json_agg(x) FROM (
          SELECT anchors AS fingerprints, subjects, COUNT(*)::int AS count,
                 (array_agg("name"))[1:${anchorNames}] AS clusters
          FROM f WHERE jsonb_array_length(anchors) > 0 GROUP BY anchors, subjects) x), '[]') AS "anchorSets",
        -- Release versions the organization can install (shipped catalog and its imports).
        COALESCE((SELECT json_agg(r."version") FROM "LinkerdRelease" r
          WHERE r."organizationId" IS NULL OR r."organizationId" = ${org}::uuid), '[]') AS catalog`;
    return rows[0]!;
  }
}
