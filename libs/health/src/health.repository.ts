import { Injectable } from '@nestjs/common';
import { ClusterHealth, HealthSample, PrismaService } from '@meshfleet/db';

export interface IngestRow {
  organizationId: string;
  clusterId: string;
  clusterName: string;
  sequence: bigint;
  generatedAt: Date;
  receivedAt: Date;
  status: ClusterHealth['status'];
  linkerdInstalled: boolean;
  controlPlaneVersion: string | null;
  podCoverage: number | null;
  trafficCoverage: number | null;
  meshedPods: number;
  totalPods: number;
  errorCount: number;
  warningCount: number;
  earliestCertExpiry: Date | null;
  agentVersion: string;
  kubernetesVersion: string | null;
  reportJson: string;
}

@Injectable()
export class HealthRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The whole ingestion in one statement (one round trip, atomic): the latest snapshot is replaced
   * only by a higher sequence; then a time-series sample, the cluster's lastSeenAt and facts, and a
   * cluster.health_changed event when the status differs from the previous snapshot.
   */
  async ingest(r: IngestRow): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<{ accepted: bigint }[]>`
      WITH prev AS (
        SELECT "status" FROM "ClusterHealth" WHERE "clusterId" = ${r.clusterId}::uuid FOR UPDATE
      ), up AS (
        INSERT INTO "ClusterHealth" ("clusterId", "organizationId", "sequence", "generatedAt", "receivedAt", "status",
          "linkerdInstalled", "controlPlaneVersion", "podCoverage", "trafficCoverage", "meshedPods", "totalPods",
          "errorCount", "warningCount", "earliestCertExpiry", "report")
        SELECT ${r.clusterId}::uuid, ${r.organizationId}::uuid, ${r.sequence}, ${r.generatedAt}, ${r.receivedAt},
          ${r.status}::"HealthStatus", ${r.linkerdInstalled}, ${r.controlPlaneVersion}, ${r.podCoverage}, ${r.trafficCoverage},
          ${r.meshedPods}, ${r.totalPods}, ${r.errorCount}, ${r.warningCount}, ${r.earliestCertExpiry}, ${r.reportJson}::jsonb
        -- Reads (and locks) prev before this statement changes the row: read afterwards, FOR UPDATE
        -- skips a row the same statement updated, prev comes back empty and every report looks like
        -- a health change.
        WHERE (SELECT COUNT(*) FROM prev) >= 0
        ON CONFLICT ("clusterId") DO UPDATE SET
          "sequence" = EXCLUDED."sequence", "generatedAt" = EXCLUDED."generatedAt", "receivedAt" = EXCLUDED."receivedAt",
          "status" = EXCLUDED."status", "linkerdInstalled" = EXCLUDED."linkerdInstalled",
          "controlPlaneVersion" = EXCLUDED."controlPlaneVersion", "podCoverage" = EXCLUDED."podCoverage",
          "trafficCoverage" = EXCLUDED."trafficCoverage", "meshedPods" = EXCLUDED."meshedPods",
          "totalPods" = EXCLUDED."totalPods", "errorCount" = EXCLUDED."errorCount",
          "warningCount" = EXCLUDED."warningCount", "earliestCertExpiry" = EXCLUDED."earliestCertExpiry",
          "report" = EXCLUDED."report"
        WHERE "ClusterHealth"."sequence" < EXCLUDED."sequence"
        RETURNING "clusterId"
      ), sample AS (
        INSERT INTO "HealthSample" ("organizationId", "clusterId", "at", "status", "podCoverage", "trafficCoverage",
          "meshedPods", "totalPods", "errorCount", "warningCount")
        SELECT ${r.organizationId}::uuid, "clusterId", ${r.generatedAt}, ${r.status}::"HealthStatus", ${r.podCoverage},
          ${r.trafficCoverage}, ${r.meshedPods}, ${r.totalPods}, ${r.errorCount}, ${r.warningCount}
        FROM up
        RETURNING 1
      ), touch AS (
        UPDATE "Cluster" SET "lastSeenAt" = ${r.receivedAt}, "agentVersion" = ${r.agentVersion},
          "kubernetesVersion" = COALESCE(${r.kubernetesVersion}, "kubernetesVersion"), "updatedAt" = now()
        WHERE "id" = ${r.clusterId}::uuid AND "status" <> 'DEREGISTERED' AND EXISTS (SELECT 1 FROM up)
        RETURNING 1
      ), ev AS (
        INSERT INTO "DomainEvent" ("id", "organizationId", "type", "clusterId", "payload")
        SELECT gen_random_uuid(), ${r.organizationId}::uuid, 'cluster.health_changed', ${r.clusterId}::uuid,
          jsonb_build_object('clusterName', ${r.clusterName}::text, 'from', (SELECT "status"::text FROM prev), 'to', ${r.status}::text)
        FROM up
        WHERE (SELECT "status" FROM prev) IS DISTINCT FROM ${r.status}::"HealthStatus"
        RETURNING 1
      )
      SELECT COUNT(*) AS accepted FROM up`;
    return Number(rows[0]?.accepted ?? 0) > 0;
  }

  latest(organizationId: string, clusterId: string): Promise<ClusterHealth | null> {
    return this.prisma.clusterHealth.findFirst({ where: { clusterId, organizationId } });
  }

  history(
    organizationId: string,
    clusterId: string,
    from: Date,
    to: Date,
    limit: number,
  ): Promise<HealthSample[]> {
    return this.prisma.healthSample.findMany({
      where: { organizationId, clusterId, at: { gte: from, lt: to } },
      orderBy: { at: 'asc' },
      take: limit,
    });
  }

  async pruneSamples(before: Date): Promise<number> {
    const res = await this.prisma.healthSample.deleteMany({ where: { at: { lt: before } } });
    return res.count;
  }
}
