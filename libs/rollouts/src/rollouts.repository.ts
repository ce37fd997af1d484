import { Injectable } from '@nestjs/common';
import { ClusterListFilter, clusterWhereSql } from '@meshfleet/clusters';
import { decodeCursor, encodeCursor, NotFoundError, Page } from '@meshfleet/core';
import { Db, Prisma, PrismaService, Rollout, RolloutStatus, RolloutTarget } from '@meshfleet/db';
import { PlanCandidate } from './rollout-plan';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type Pos = { t: string; id: string };
const isPos = (v: unknown): v is Pos =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Pos).t === 'string' &&
  typeof (v as Pos).id === 'string';

export type RolloutWithTargets = Rollout & { targets: RolloutTarget[] };

@Injectable()
export class RolloutsRepository {
  constructor(readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  /** Clusters matching a selector with what planning needs from their latest report. */
  async candidates(org: string, f: ClusterListFilter, ids: string[]): Promise<PlanCandidate[]> {
    const idCond = ids.length
      ? Prisma.sql`AND c."id" = ANY(${ids.filter((i) => UUID.test(i))}::uuid[])`
      : Prisma.empty;
    return this.prisma.$queryRaw<PlanCandidate[]>`
      SELECT c."id", c."name", c."status"::text AS status,
             COALESCE(h."linkerdInstalled", false) AS "linkerdInstalled",
             h."controlPlaneVersion" AS "currentVersion",
             COALESCE(c."kubernetesVersion", h."report"->>'kubernetesVersion') AS "kubernetesVersion",
             h."report"->'linkerd'->'skew'->>'oldestProxy' AS "oldestProxyVersion"
      FROM "Cluster" c LEFT JOIN "ClusterHealth" h ON h."clusterId" = c."id"
      WHERE ${clusterWhereSql(org, f)} ${idCond}`;
  }

  async get(org: string, id: string): Promise<RolloutWithTargets> {
    const r = UUID.test(id)
      ? await this.prisma.rollout.findFirst({
          where: { id, organizationId: org },
          include: { targets: { orderBy: [{ wave: 'asc' }, { clusterName: 'asc' }] } },
        })
      : null;
    if (!r) throw new NotFoundError('Rollout', id);
    return r;
  }

  byId(id: string): Promise<RolloutWithTargets | null> {
    return this.prisma.rollout.findUnique({
      where: { id },
      include: { targets: { orderBy: [{ wave: 'asc' }, { clusterName: 'asc' }] } },
    });
  }

  active(): Promise<Rollout[]> {
    return this.prisma.rollout.findMany({
      where: { status: { in: [RolloutStatus.RUNNING, RolloutStatus.ROLLING_BACK] } },
    });
  }

  async list(
    org: string,
    status: RolloutStatus | null,
    first: number,
    after: string | null,
  ): Promise<Page<RolloutWithTargets>> {
    const where: Prisma.RolloutWhereInput = { organizationId: org, ...(status ? { status } : {}) };
    const pos = after ? decodeCursor(after, isPos) : null;
    const keyset = pos
      ? { OR: [{ createdAt: { lt: new Date(pos.t) } }, { createdAt: new Date(pos.t), id: { lt: pos.id } }] }
      : undefined;
    const [rows, totalCount] = await Promise.all([
      this.prisma.rollout.findMany({
        where: keyset ? { AND: [where, keyset] } : where,
        include: { targets: { orderBy: [{ wave: 'asc' }, { clusterName: 'asc' }] } },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: first + 1,
      }),
      this.prisma.rollout.count({ where }),
    ]);
    const items = rows.slice(0, first);
    return {
      items,
      cursors: items.map((r) => encodeCursor({ t: r.createdAt.toISOString(), id: r.id })),
      hasNextPage: rows.length > first,
      totalCount,
    };
  }

  /** Latest effective health of clusters (status, fresh report) for the health gate. */
  async gateFacts(clusterIds: string[]) {
    if (!clusterIds.length) return [];
    return this.prisma.$queryRaw<
      {
        id: string;
        status: string;
        health: string | null;
        generatedAt: Date | null;
        podCoverage: number | null;
        version: string | null;
      }[]
    >`
      SELECT c."id", c."status"::text AS status, h."status"::text AS health, h."generatedAt" AS "generatedAt",
             h."podCoverage" AS "podCoverage", h."controlPlaneVersion" AS version
      FROM "Cluster" c LEFT JOIN "ClusterHealth" h ON h."clusterId" = c."id" WHERE c."id" = ANY(${clusterIds}::uuid[])`;
  }
}
