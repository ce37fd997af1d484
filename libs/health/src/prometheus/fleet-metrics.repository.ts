import { Injectable } from '@nestjs/common';
import { clusterWhereSql } from '@meshfleet/clusters';
import { PrismaService } from '@meshfleet/db';
import type { ClusterMetricsRow } from './fleet-metrics.render';

/**
 * The rows behind the fleet metrics endpoint, in two set-based statements: every cluster of the
 * organization with its stored health columns (narrow, never the report; of the resource block
 * the proxy summary, the control-plane rows and the namespaces' overhead) and its firing alerts
 * counted per severity; and the organization's firing alerts per severity.
 */
@Injectable()
export class FleetMetricsRepository {
  constructor(private readonly prisma: PrismaService) {}

  clusters(organizationId: string): Promise<ClusterMetricsRow[]> {
    return this.prisma.$queryRaw<ClusterMetricsRow[]>`
      SELECT c."id"::text AS "id", c."name", c."provider"::text AS "provider", c."region",
        c."status"::text AS "status", c."mode"::text AS "mode", c."agentVersion", c."kubernetesVersion",
        -- Epoch milliseconds: the column is a timestamp without zone, in UTC; no Date per row.
        (EXTRACT(EPOCH FROM h."generatedAt") * 1000)::float8 AS "generatedAtMs", h."status"::text AS "health", h."controlPlaneVersion", h."proxySkew",
        h."podCoverage", h."trafficCoverage", h."meshedPods", h."totalPods", h."errorCount",
        h."warningCount", h."certificateExpiryByRole",
        -- Only the small parts of the resource block (≤ 2 KiB in all); never the report.
        r."res"->'proxy' AS "proxyResources", r."res"->'controlPlane' AS "controlPlaneResources",
        -- The agent's cluster-wide ratio; from older agents, the namespaces' when they cover the cluster.
        COALESCE((r."res"->'proxy'->>'overhead')::float8, CASE WHEN r."res"->>'namespacesTruncated' = 'false'
          AND jsonb_typeof(r."res"->'namespaces') = 'array' THEN (
          SELECT SUM((n->>'mem')::float8) / NULLIF(SUM((n->>'appMem')::float8), 0)
          FROM jsonb_array_elements(r."res"->'namespaces') n
          WHERE (n->>'appMem')::float8 > 0) END) AS "proxyMemoryOverhead",
        h."driftCount",
        COALESCE(a.critical, 0)::int AS "alertsCritical", COALESCE(a.warning, 0)::int AS "alertsWarning",
        COALESCE(a.info, 0)::int AS "alertsInfo"
      FROM "Cluster" c
      LEFT JOIN "ClusterHealth" h ON h."clusterId" = c."id"
      -- The stored block is compressed; each -> would decompress it again. Decompressed once per
      -- row here (the concatenation makes a plain copy; OFFSET 0 keeps the subquery from being
      -- folded in): half the statement's time at 10,000 clusters.
      LEFT JOIN LATERAL (SELECT h."resources" || '{}'::jsonb AS "res" OFFSET 0) r ON true
      LEFT JOIN (
        SELECT "clusterId",
          COUNT(*) FILTER (WHERE "severity" = 'CRITICAL') AS critical,
          COUNT(*) FILTER (WHERE "severity" = 'WARNING') AS warning,
          COUNT(*) FILTER (WHERE "severity" = 'INFO') AS info
        FROM "Alert"
        WHERE "organizationId" = ${organizationId}::uuid AND "status" = 'FIRING' AND "clusterId" IS NOT NULL
        GROUP BY "clusterId"
      ) a ON a."clusterId" = c."id"
      WHERE ${clusterWhereSql(organizationId, {})}
      ORDER BY c."name"`;
  }

  async fleetAlerts(organizationId: string): Promise<Record<string, number>> {
    const rows = await this.prisma.$queryRaw<{ severity: string; n: number }[]>`
      SELECT "severity", COUNT(*)::int AS n FROM "Alert"
      WHERE "organizationId" = ${organizationId}::uuid AND "status" = 'FIRING'
      GROUP BY "severity"`;
    return Object.fromEntries(rows.map((r) => [r.severity, r.n]));
  }
}
