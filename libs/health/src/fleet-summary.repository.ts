import { Injectable } from '@nestjs/common';
import { ClusterListFilter, clusterWhereSql } from '@meshfleet/clusters';
import { Prisma, PrismaService } from '@meshfleet/db';

export interface FleetRow {
  provider: string;
  region: string | null;
  health: string;
  clusters: bigint;
}

/**
 * Fleet-wide aggregates straight from the stored, indexed snapshots (Cluster + ClusterHealth).
 * Health is UNKNOWN unless the agent is connected and the report is fresh, as everywhere else.
 */
@Injectable()
export class FleetSummaryRepository {
  constructor(private readonly prisma: PrismaService) {}

  private effectiveHealth(freshAfter: Date): Prisma.Sql {
    return Prisma.sql`CASE WHEN c."status" = 'CONNECTED' AND h."generatedAt" >= ${freshAfter} THEN h."status"::text ELSE 'UNKNOWN' END`;
  }

  async byProviderRegionHealth(org: string, f: ClusterListFilter, freshAfter: Date): Promise<FleetRow[]> {
    return this.prisma.$queryRaw<FleetRow[]>`
      SELECT c."provider"::text AS provider, c."region" AS region, ${this.effectiveHealth(freshAfter)} AS health, COUNT(*) AS clusters
      FROM "Cluster" c LEFT JOIN "ClusterHealth" h ON h."clusterId" = c."id"
      WHERE ${clusterWhereSql(org, f)}
      GROUP BY 1, 2, 3`;
  }

  async statusCounts(org: string, f: ClusterListFilter): Promise<{ status: string; clusters: bigint }[]> {
    return this.prisma.$queryRaw`
      SELECT c."status"::text AS status, COUNT(*) AS clusters FROM "Cluster" c WHERE ${clusterWhereSql(org, f)} GROUP BY 1`;
  }

  async versions(
    org: string,
    f: ClusterListFilter,
  ): Promise<{ version: string; clusters: bigint; lagging: bigint }[]> {
    return this.prisma.$queryRaw`
      SELECT h."controlPlaneVersion" AS version, COUNT(*) AS clusters,
             COUNT(*) FILTER (WHERE h."report"->'linkerd'->'skew'->>'status' NOT IN ('none', 'unknown')) AS lagging
      FROM "Cluster" c JOIN "ClusterHealth" h ON h."clusterId" = c."id"
      WHERE ${clusterWhereSql(org, f)} AND h."linkerdInstalled" AND h."controlPlaneVersion" IS NOT NULL
      GROUP BY 1 ORDER BY 2 DESC`;
  }

  async coverage(
    org: string,
    f: ClusterListFilter,
  ): Promise<{ meshed: bigint | null; total: bigint | null; traffic: number | null }> {
    const rows = await this.prisma.$queryRaw<
      { meshed: bigint | null; total: bigint | null; traffic: number | null }[]
    >`
      SELECT SUM(h."meshedPods") AS meshed, SUM(h."totalPods") AS total,
             SUM(h."trafficCoverage" * h."totalPods") / NULLIF(SUM(h."totalPods") FILTER (WHERE h."trafficCoverage" IS NOT NULL), 0) AS traffic
      FROM "Cluster" c JOIN "ClusterHealth" h ON h."clusterId" = c."id"
      WHERE ${clusterWhereSql(org, f)}`;
    return rows[0] ?? { meshed: null, total: null, traffic: null };
  }

  async worstCoverage(org: string, f: ClusterListFilter, limit: number) {
    return this.prisma.$queryRaw<
      { id: string; name: string; podCoverage: number | null; trafficCoverage: number | null }[]
    >`
      SELECT c."id", c."name", h."podCoverage" AS "podCoverage", h."trafficCoverage" AS "trafficCoverage"
      FROM "Cluster" c JOIN "ClusterHealth" h ON h."clusterId" = c."id"
      WHERE ${clusterWhereSql(org, f)} AND h."podCoverage" IS NOT NULL
      ORDER BY h."podCoverage" ASC, c."name" ASC LIMIT ${limit}`;
  }

  async expiringCertificates(org: string, f: ClusterListFilter, before: Date, limit: number) {
    return this.prisma.$queryRaw<
      {
        clusterId: string;
        clusterName: string;
        role: string;
        name: string;
        notAfter: string;
        fingerprint: string;
      }[]
    >`
      SELECT c."id" AS "clusterId", c."name" AS "clusterName", cert->>'role' AS role, cert->>'name' AS name,
             cert->>'notAfter' AS "notAfter", cert->>'sha256Fingerprint' AS fingerprint
      FROM "Cluster" c JOIN "ClusterHealth" h ON h."clusterId" = c."id",
           jsonb_array_elements(h."report"->'certificates') AS cert
      WHERE ${clusterWhereSql(org, f)} AND h."earliestCertExpiry" < ${before}
        AND (cert->>'notAfter')::timestamptz < ${before}
      ORDER BY (cert->>'notAfter')::timestamptz ASC LIMIT ${limit}`;
  }

  /** Release versions the organization can install (shipped catalog and its imports). */
  async catalogVersions(org: string): Promise<string[]> {
    const rows = await this.prisma.linkerdRelease.findMany({
      where: { OR: [{ organizationId: null }, { organizationId: org }] },
      select: { version: true },
    });
    return rows.map((r) => r.version);
  }

  async trustAnchorGroups(org: string, f: ClusterListFilter) {
    return this.prisma.$queryRaw<{ fingerprint: string; subject: string; clusters: string[] }[]>`
      SELECT cert->>'sha256Fingerprint' AS fingerprint, MIN(cert->>'subject') AS subject, array_agg(DISTINCT c."name") AS clusters
      FROM "Cluster" c JOIN "ClusterHealth" h ON h."clusterId" = c."id",
           jsonb_array_elements(h."report"->'certificates') AS cert
      WHERE ${clusterWhereSql(org, f)} AND cert->>'role' = 'trust-anchor'
      GROUP BY 1 ORDER BY COUNT(DISTINCT c."id") DESC`;
  }
}
