import { Injectable } from '@nestjs/common';
import { ClusterListFilter, clusterWhereSql } from '@meshfleet/clusters';
import { isUuid, newestFirstPage, NotFoundError, Page } from '@meshfleet/core';
import {
  Db,
  Prisma,
  PrismaService,
  Rollout,
  RolloutAction,
  RolloutStatus,
  RolloutTarget,
  RolloutTargetStatus,
} from '@meshfleet/db';
import { GateFact } from './rollout-gate';
import { MeshPlanCandidate, PlanCandidate } from './rollout-plan';

export type RolloutWithTargets = Rollout & { targets: RolloutTarget[] };

export interface NewRollout {
  name: string;
  action?: RolloutAction;
  meshParams?: object | null;
  targetVersion: string;
  selector: object;
  strategy: object;
  createdBy: string;
  startedAt: Date;
}

export interface NewRolloutTarget {
  clusterId: string;
  clusterName: string;
  wave: number;
  fromVersion: string | null;
}

/** Rollout fields a status move may set. */
export interface RolloutChanges {
  status?: RolloutStatus;
  pausedReason?: string | null;
  approvedWave?: number;
  currentWave?: number;
  finishedAt?: Date;
}

/** Target fields a target move may set. */
export type TargetChanges = Pick<
  Prisma.RolloutTargetUpdateManyMutationInput,
  'status' | 'operationId' | 'reason' | 'gateUntil' | 'baselinePodCoverage' | 'rollbackStartedAt'
>;

const WITH_TARGETS = {
  targets: { orderBy: [{ wave: 'asc' as const }, { clusterName: 'asc' as const }] },
} satisfies Prisma.RolloutInclude;

@Injectable()
export class RolloutsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  /** Clusters matching a selector with what planning needs from their latest report. */
  async candidates(org: string, f: ClusterListFilter, ids: string[]): Promise<PlanCandidate[]> {
    const idCond = ids.length ? Prisma.sql`AND c."id" = ANY(${ids.filter(isUuid)}::uuid[])` : Prisma.empty;
    return this.prisma.$queryRaw<PlanCandidate[]>`
      SELECT c."id", c."name", c."status"::text AS status, c."mode"::text AS mode,
             CASE WHEN c."managementMode" = 'GITOPS' THEN COALESCE(c."gitopsTool"::text, 'GITOPS') END AS "gitopsTool",
             COALESCE(h."linkerdInstalled", false) AS "linkerdInstalled",
             h."controlPlaneVersion" AS "currentVersion",
             COALESCE(c."kubernetesVersion", h."report"->>'kubernetesVersion') AS "kubernetesVersion",
             h."report"->'linkerd'->'skew'->>'oldestProxy' AS "oldestProxyVersion"
      FROM "Cluster" c LEFT JOIN "ClusterHealth" h ON h."clusterId" = c."id"
      WHERE ${clusterWhereSql(org, f)} ${idCond}`;
  }

  /** candidates plus the report's application and Linkerd namespaces, for mesh adoption. */
  async meshCandidates(org: string, f: ClusterListFilter, ids: string[]): Promise<MeshPlanCandidate[]> {
    const idCond = ids.length ? Prisma.sql`AND c."id" = ANY(${ids.filter(isUuid)}::uuid[])` : Prisma.empty;
    // The namespace rule's input: the adoption facts' namespaces when the agent sends them, else the mTLS ones.
    const src = Prisma.sql`(CASE WHEN jsonb_typeof(h."report"->'adoption') = 'object'
      THEN h."report"->'adoption' ELSE h."report"->'mtls' END)`;
    return this.prisma.$queryRaw<MeshPlanCandidate[]>`
      SELECT c."id", c."name", c."status"::text AS status, c."mode"::text AS mode,
             CASE WHEN c."managementMode" = 'GITOPS' THEN COALESCE(c."gitopsTool"::text, 'GITOPS') END AS "gitopsTool",
             COALESCE(h."linkerdInstalled", false) AS "linkerdInstalled",
             h."controlPlaneVersion" AS "currentVersion",
             COALESCE(c."kubernetesVersion", h."report"->>'kubernetesVersion') AS "kubernetesVersion",
             h."report"->'linkerd'->'skew'->>'oldestProxy' AS "oldestProxyVersion",
             h."report"->'linkerd'->>'controlPlaneNamespace' AS "controlPlaneNamespace",
             CASE WHEN h."report" IS NULL THEN NULL ELSE COALESCE(
               (SELECT array_agg(n->>'name') FROM jsonb_array_elements(
                  COALESCE(${src}->'namespaces', '[]'::jsonb)) n), '{}'::text[]) END AS namespaces,
             COALESCE((${src}->>'namespacesTruncated')::boolean, false) AS "namespacesTruncated",
             CASE WHEN jsonb_typeof(h."report"->'adoption') = 'object' THEN ARRAY(
               SELECT jsonb_array_elements_text(COALESCE(h."report"->'adoption'->'linkerdNamespaces', '[]'::jsonb)))
             END AS "linkerdNamespaces"
      FROM "Cluster" c LEFT JOIN "ClusterHealth" h ON h."clusterId" = c."id"
      WHERE ${clusterWhereSql(org, f)} ${idCond}`;
  }

  async get(org: string, id: string): Promise<RolloutWithTargets> {
    const r = isUuid(id)
      ? await this.prisma.rollout.findFirst({ where: { id, organizationId: org }, include: WITH_TARGETS })
      : null;
    if (!r) throw new NotFoundError('Rollout', id);
    return r;
  }

  /** get for the orchestrator: null rather than NotFound (the rollout may be gone). */
  byId(organizationId: string, id: string): Promise<RolloutWithTargets | null> {
    return this.prisma.rollout.findFirst({ where: { id, organizationId }, include: WITH_TARGETS });
  }

  /** The rollout row alone (a tick reads only the current wave's targets). */
  header(organizationId: string, id: string): Promise<Rollout | null> {
    return this.prisma.rollout.findFirst({ where: { id, organizationId } });
  }

  /** A new RUNNING rollout with its planned targets. */
  async create(
    db: Db,
    organizationId: string,
    data: NewRollout,
    targets: NewRolloutTarget[],
  ): Promise<Rollout> {
    const r = await db.rollout.create({
      data: {
        organizationId,
        ...data,
        meshParams: (data.meshParams ?? undefined) as Prisma.InputJsonValue | undefined,
        selector: data.selector as Prisma.InputJsonValue,
        strategy: data.strategy as Prisma.InputJsonValue,
        status: RolloutStatus.RUNNING,
      },
    });
    await db.rolloutTarget.createMany({ data: targets.map((t) => ({ rolloutId: r.id, ...t })) });
    return r;
  }

  /**
   * Conditional move of a rollout: true when it was still in one of `from` (and, with `atWave`,
   * at that wave) and moved, so racing ticks and users cannot both move it.
   */
  async moveRollout(
    db: Db,
    organizationId: string,
    id: string,
    from: RolloutStatus | RolloutStatus[],
    changes: RolloutChanges,
    atWave?: number,
  ): Promise<boolean> {
    const m = await db.rollout.updateMany({
      where: {
        id,
        organizationId,
        status: Array.isArray(from) ? { in: from } : from,
        ...(atWave === undefined ? {} : { currentWave: atWave }),
      },
      data: changes,
    });
    return m.count === 1;
  }

  /**
   * Resuming after the failure budget ran out: failed targets get another chance. Only the current
   * wave is ever worked on, so the rollout steps back to the earliest wave with a retried cluster
   * (finished clusters of the waves in between stay as they are).
   */
  async retryFailedTargets(db: Db, organizationId: string, r: Rollout): Promise<void> {
    const failed = await db.rolloutTarget.findMany({
      where: { rolloutId: r.id, status: RolloutTargetStatus.FAILED, rollout: { organizationId } },
      select: { wave: true },
    });
    if (!failed.length) return;
    await db.rolloutTarget.updateMany({
      where: { rolloutId: r.id, status: RolloutTargetStatus.FAILED },
      data: {
        status: RolloutTargetStatus.WAITING,
        operationId: null,
        reason: 'retried after resume',
        baselinePodCoverage: null,
        rollbackStartedAt: null,
      },
    });
    const earliest = Math.min(...failed.map((t) => t.wave));
    if (earliest < r.currentWave)
      await db.rollout.updateMany({ where: { id: r.id, organizationId }, data: { currentWave: earliest } });
  }

  /**
   * An abort's effect on targets: waiting ones are skipped, gating ones count as done (their
   * gate is not waited for). Upgrades in flight are left to finish.
   */
  async abortTargets(
    db: Db,
    organizationId: string,
    rolloutId: string,
    reasons: { skipped: string; gateCutShort: string },
  ): Promise<void> {
    const rollout = { organizationId };
    await db.rolloutTarget.updateMany({
      where: { rolloutId, rollout, status: RolloutTargetStatus.WAITING },
      data: { status: RolloutTargetStatus.SKIPPED, reason: reasons.skipped },
    });
    await db.rolloutTarget.updateMany({
      where: { rolloutId, rollout, status: RolloutTargetStatus.GATING },
      data: { status: RolloutTargetStatus.DONE, reason: reasons.gateCutShort },
    });
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

  /**
   * Rollouts the orchestrator still drives, including aborted ones with upgrades in flight, of
   * every organization (the one cross-tenant read: each tick then works within the rollout's).
   */
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
  async moveTarget(id: string, from: RolloutTargetStatus, data: TargetChanges): Promise<boolean> {
    return (await this.moveTargets([id], from, data)) === 1;
  }

  /** Conditional move of targets: only those still in `from` change, so racing ticks cannot regress one. */
  async moveTargets(
    ids: string[],
    from: RolloutTargetStatus,
    data: TargetChanges,
    extra: { operationId?: null } = {},
  ): Promise<number> {
    if (!ids.length) return 0;
    const r = await this.prisma.rolloutTarget.updateMany({
      where: { id: { in: ids }, status: from, ...extra },
      data,
    });
    return r.count;
  }

  /** Records the operation and gate baseline of claimed targets (clearing the reason), in one statement. */
  /**
   * The operation a dead tick created for a claimed target before it could record it: the
   * newest on the cluster requested by the rollout since the claim (less `slackMs` of clock).
   */
  async orphanOperation(
    clusterId: string,
    requestedBy: string,
    claimedAt: Date,
    slackMs: number,
  ): Promise<string | null> {
    const op = await this.prisma.operation.findFirst({
      where: { clusterId, requestedBy, createdAt: { gte: new Date(claimedAt.getTime() - slackMs) } },
      orderBy: { createdAt: 'desc' },
      select: { id: true },
    });
    return op?.id ?? null;
  }

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
  claim(organizationId: string, rolloutId: string, targetIds: string[]): Promise<string[]> {
    if (!targetIds.length) return Promise.resolve([]);
    return this.prisma.$transaction(async (db) => {
      const running = await db.$queryRaw<{ id: string }[]>`
        SELECT "id" FROM "Rollout"
        WHERE "id" = ${rolloutId}::uuid AND "organizationId" = ${organizationId}::uuid AND "status" = 'RUNNING'
        FOR SHARE`;
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
      findMany: (a) => this.prisma.rollout.findMany({ ...a, include: WITH_TARGETS }),
      count: (a) => this.prisma.rollout.count(a),
    });
  }

  /** Latest effective health of clusters (status, fresh report) for the health gate. */
  async gateFacts(organizationId: string, clusterIds: string[]): Promise<GateFact[]> {
    if (!clusterIds.length) return [];
    return this.prisma.$queryRaw<GateFact[]>`
      SELECT c."id", c."status"::text AS status, h."status"::text AS health, h."generatedAt" AS "generatedAt",
             h."podCoverage" AS "podCoverage", h."controlPlaneVersion" AS version
      FROM "Cluster" c LEFT JOIN "ClusterHealth" h ON h."clusterId" = c."id"
      WHERE c."id" = ANY(${clusterIds}::uuid[]) AND c."organizationId" = ${organizationId}::uuid`;
  }
}
