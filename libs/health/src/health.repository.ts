import { Injectable } from '@nestjs/common';
import { ClusterHealth, Db, HealthSample, Prisma, PrismaService } from '@meshfleet/db';

export interface HealthRow {
  organizationId: string;
  clusterId: string;
  sequence: bigint;
  generatedAt: Date;
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
  report: Prisma.InputJsonValue;
}

@Injectable()
export class HealthRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  /** Locks the cluster's latest-health row (if any) for the rest of the transaction. */
  async lockLatest(db: Db, clusterId: string): Promise<{ sequence: bigint; status: string } | null> {
    const rows = await db.$queryRaw<{ sequence: bigint; status: string }[]>`
      SELECT "sequence", "status"::text AS status FROM "ClusterHealth" WHERE "clusterId" = ${clusterId}::uuid FOR UPDATE`;
    return rows[0] ?? null;
  }

  async saveLatest(db: Db, row: HealthRow): Promise<void> {
    const { clusterId, organizationId, ...data } = row;
    await db.clusterHealth.upsert({
      where: { clusterId },
      create: { clusterId, organizationId, ...data },
      update: { ...data, receivedAt: new Date() },
    });
  }

  async appendSample(db: Db, row: HealthRow): Promise<void> {
    await db.healthSample.create({
      data: {
        organizationId: row.organizationId,
        clusterId: row.clusterId,
        at: row.generatedAt,
        status: row.status,
        podCoverage: row.podCoverage,
        trafficCoverage: row.trafficCoverage,
        meshedPods: row.meshedPods,
        totalPods: row.totalPods,
        errorCount: row.errorCount,
        warningCount: row.warningCount,
      },
    });
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
