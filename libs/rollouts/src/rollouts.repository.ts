import { Injectable } from '@nestjs/common';
import { ClusterListFilter, clusterWhereSql } from '@meshfleet/clusters';
import { isUuid, newestFirstPage, NotFoundError, Page } from '@meshfleet/core';
import {
  Db,
  Prisma,
  PrismaService,
  Rollout,
  RolloutStatus,
  RolloutTarget,
  RolloutTargetStatus,
} from '@meshfleet/db';
import { GateFact } from './rollout-gate';
import { PlanCandidate } from './rollout-plan';

export type RolloutWithTargets = Rollout & { targets: RolloutTarget[] };

@Injectable()
export class RolloutsRepository {
  constructor(readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  /** Clusters matching a selector with what planning needs from their latest report. */
  async candidates(org: string, f: ClusterListFilter, ids: string[]): Promise<PlanCandidate[]> {
    const idCond = ids.length ? Prisma.sql`AND c."id" = ANY(${ids.filter(isUuid)}::uuid[])` : Prisma.empty;
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
    const r = isUuid(id)
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

  /** The rollout row alone (a tick reads only the current wave's targets). */
  header(id: string): Promise<Rollout | null> {
    return this.prisma.rollout.findUnique({ where: { id } });
  }

  /** How many targets each wave has. */
  async waveSizes(rolloutId: string): Promise<Map<number, number>> {
    const rows = await this.prisma.rolloutTarget.groupBy({
      by: ['wave'],
      where: { rolloutId },
      _count: { _all: true },
    });
    return new Map(rows.map((r) => [r.wave, r._count._all]));
  }

  /** When a target of the wave last changed (the wave's end, once all are finished). */
  async lastChangeInWave(rolloutId: string, wave: number): Promise<Date | null> {
    const r = await this.prisma.rolloutTarget.aggregate({
      where: { rolloutId, wave },
      _max: { updatedAt: true },
    });
    return r._max.updatedAt;
  }

  /** Rollouts the orchestrator still drives, including aborted ones with upgrades in flight. */
  active(): Promise<Rollout[]> {
    return this.prisma.rollout.findMany({
      where: {
        OR: [
          { status: { in: [RolloutStatus.RUNNING, RolloutStatus.ROLLING_BACK] } },
          {
            status: RolloutStatus.ABORTED,
            targets: {
              some: { status: { in: [RolloutTargetStatus.UPGRADING, RolloutTargetStatus.WAITING] } },
            },
          },
        ],
      },
    });
  }

  waveTargets(rolloutId: string, wave: number): Promise<RolloutTarget[]> {
    return this.prisma.rolloutTarget.findMany({
      where: { rolloutId, wave },
      orderBy: { clusterName: 'asc' },
    });
  }

  failedCount(rolloutId: string): Promise<number> {
    return this.prisma.rolloutTarget.count({ where: { rolloutId, status: RolloutTargetStatus.FAILED } });
  }

  /** Conditional move of one target; true when it was still in `from` and moved. */
  async moveTarget(
    id: string,
    from: RolloutTargetStatus,
    data: Prisma.RolloutTargetUpdateManyMutationInput,
  ): Promise<boolean> {
    return (await this.moveTargets([id], from, data)) === 1;
  }

  /** Conditional move of targets: only those still in `from` change, so racing ticks cannot regress one. */
  async moveTargets(
    ids: string[],
    from: RolloutTargetStatus,
    data: Prisma.RolloutTargetUpdateManyMutationInput,
    extra: Prisma.RolloutTargetWhereInput = {},
  ): Promise<number> {
    if (!ids.length) return 0;
    const r = await this.prisma.rolloutTarget.updateMany({
      where: { id: { in: ids }, status: from, ...extra },
      data,
    });
    return r.count;
  }

  /** Records the operation and gate baseline of claimed targets (clearing the reason), in one statement. */
  async recordOperations(
    rows: { id: string; operationId: string; baselinePodCoverage: number | null }[],
  ): Promise<void> {
    if (!rows.length) return;
    await this.prisma.$executeRaw`
      UPDATE "RolloutTarget" t SET "operationId" = v.op, "baselinePodCoverage" = v.baseline, "reason" = NULL,
        "updatedAt" = now()
      FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.operationId)}::uuid[],
                  ${rows.map((r) => r.baselinePodCoverage)}::float8[]) AS v(id, op, baseline)
      WHERE t."id" = v.id AND t."status" = 'UPGRADING' AND t."operationId" IS NULL`;
  }

  /**
   * Claims WAITING targets (→ UPGRADING, no operation yet) while the rollout is still RUNNING.
   * The rollout row is share-locked, so an abort either waits for the claim (and the claimed
   * upgrades are in flight when it lands) or wins (and nothing is claimed): no upgrade starts
   * after an abort has returned.
   */
  claim(rolloutId: string, targetIds: string[]): Promise<string[]> {
    if (!targetIds.length) return Promise.resolve([]);
    return this.prisma.$transaction(async (db) => {
      const running = await db.$queryRaw<{ id: string }[]>`
        SELECT "id" FROM "Rollout" WHERE "id" = ${rolloutId}::uuid AND "status" = 'RUNNING' FOR SHARE`;
      if (!running.length) return [];
      const rows = await db.$queryRaw<{ id: string }[]>`
        UPDATE "RolloutTarget" SET "status" = 'UPGRADING', "operationId" = NULL, "updatedAt" = now()
        WHERE "id" = ANY(${targetIds}::uuid[]) AND "status" = 'WAITING' RETURNING "id"`;
      return rows.map((r) => r.id);
    });
  }

  async list(
    org: string,
    status: RolloutStatus | null,
    first: number,
    after: string | null,
  ): Promise<Page<RolloutWithTargets>> {
    const where: Prisma.RolloutWhereInput = { organizationId: org, ...(status ? { status } : {}) };
    return newestFirstPage({
      where,
      first,
      after,
      timeField: 'createdAt',
      time: (r) => r.createdAt,
      findMany: (a) =>
        this.prisma.rollout.findMany({
          ...a,
          include: { targets: { orderBy: [{ wave: 'asc' }, { clusterName: 'asc' }] } },
        }),
      count: (a) => this.prisma.rollout.count(a),
    });
  }

  /** Latest effective health of clusters (status, fresh report) for the health gate. */
  async gateFacts(clusterIds: string[]): Promise<GateFact[]> {
    if (!clusterIds.length) return [];
    return this.prisma.$queryRaw<GateFact[]>`
      SELECT c."id", c."status"::text AS status, h."status"::text AS health, h."generatedAt" AS "generatedAt",
             h."podCoverage" AS "podCoverage", h."controlPlaneVersion" AS version
      FROM "Cluster" c LEFT JOIN "ClusterHealth" h ON h."clusterId" = c."id" WHERE c."id" = ANY(${clusterIds}::uuid[])`;
  }
}
