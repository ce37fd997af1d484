import { Injectable } from '@nestjs/common';
import { Cluster, IdentityDomain, Prisma, PrismaService } from '@meshfleet/db';
import { ClusterListFilter, clusterWhereSql } from '@meshfleet/clusters';
import { isUuid } from '@meshfleet/core';

export interface ExportRow {
  cluster: Cluster;
  report: Prisma.JsonValue | null;
  domain: IdentityDomain | null;
}

@Injectable()
export class GitopsExportRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Clusters of the selector (or the ids) with their latest report and identity domain. */
  async select(
    organizationId: string,
    filter: ClusterListFilter,
    ids: string[],
    limit: number,
  ): Promise<ExportRow[]> {
    const idCond = ids.length ? Prisma.sql`AND c."id" = ANY(${ids.filter(isUuid)}::uuid[])` : Prisma.empty;
    const found = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT c."id" FROM "Cluster" c WHERE ${clusterWhereSql(organizationId, filter)} ${idCond}
      ORDER BY c."name" LIMIT ${limit + 1}`;
    const rows = await this.prisma.cluster.findMany({
      where: { organizationId, id: { in: found.map((f) => f.id) } },
      include: { health: { select: { report: true } } },
      orderBy: { name: 'asc' },
    });
    const domainIds = [...new Set(rows.map((r) => r.identityDomainId).filter((d): d is string => !!d))];
    const domains = new Map(
      (await this.prisma.identityDomain.findMany({ where: { organizationId, id: { in: domainIds } } })).map(
        (d) => [d.id, d],
      ),
    );
    return rows.map(({ health, ...cluster }) => ({
      cluster,
      report: health?.report ?? null,
      domain: cluster.identityDomainId ? (domains.get(cluster.identityDomainId) ?? null) : null,
    }));
  }
}
