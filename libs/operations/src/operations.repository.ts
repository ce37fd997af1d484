import { Injectable } from '@nestjs/common';
import { ConflictError, isUuid, newestFirstPage, NotFoundError, Page } from '@meshfleet/core';
import {
  Cluster,
  Db,
  isUniqueViolation,
  Operation,
  OperationKind,
  OperationStatus,
  Prisma,
  PrismaService,
} from '@meshfleet/db';

export const ACTIVE: OperationStatus[] = [
  OperationStatus.QUEUED,
  OperationStatus.DISPATCHED,
  OperationStatus.RUNNING,
];

export interface OperationFilter {
  clusterId?: string | null;
  status?: OperationStatus | null;
  kind?: OperationKind | null;
}

/** What a step-event sync returns per operation (enough to notify subscribers). */
export type MirroredOperation = Pick<Operation, 'id' | 'clusterId' | 'organizationId' | 'status'> & {
  agentTaskId: string;
};

@Injectable()
export class OperationsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  /** Creates the operation and takes the cluster's lock; a second active operation is a CONFLICT. */
  async createLocked(db: Db, data: Prisma.OperationUncheckedCreateInput): Promise<Operation> {
    const op = await db.operation.create({ data });
    try {
      await db.clusterOperationLock.create({ data: { clusterId: op.clusterId, operationId: op.id } });
    } catch (e) {
      if (isUniqueViolation(e)) {
        const holder = await this.prisma.clusterOperationLock.findUnique({
          where: { clusterId: op.clusterId },
        });
        throw new ConflictError(
          `Another operation is active on this cluster${holder ? ` (${holder.operationId})` : ''}`,
          {
            activeOperationId: holder?.operationId ?? null,
          },
        );
      }
      throw e;
    }
    return op;
  }

  /**
   * Creates many operations and takes each cluster's lock; a cluster already locked gets no
   * operation (it is left out of the result, not an error for the batch).
   */
  async createManyLocked(
    db: Db,
    rows: (Prisma.OperationCreateManyInput & { id: string })[],
  ): Promise<Operation[]> {
    if (!rows.length) return [];
    await db.operation.createMany({ data: rows });
    const locked = await db.$queryRaw<{ operationId: string }[]>`
      INSERT INTO "ClusterOperationLock" ("clusterId", "operationId")
      SELECT * FROM unnest(${rows.map((r) => r.clusterId)}::uuid[], ${rows.map((r) => r.id)}::uuid[])
      ON CONFLICT DO NOTHING RETURNING "operationId"`;
    const won = new Set(locked.map((l) => l.operationId));
    const lost = rows.filter((r) => !won.has(r.id)).map((r) => r.id);
    if (lost.length) await db.operation.deleteMany({ where: { id: { in: lost } } });
    return db.operation.findMany({ where: { id: { in: [...won] } } });
  }

  /** Clusters of an organization with their latest report, for checks over a batch. */
  async clustersWithReports(
    organizationId: string,
    ids: string[],
  ): Promise<{ cluster: Cluster; report: Prisma.JsonValue | null }[]> {
    const rows = await this.prisma.cluster.findMany({
      where: { organizationId, id: { in: ids.filter(isUuid) } },
      include: { health: { select: { report: true } } },
    });
    return rows.map(({ health, ...cluster }) => ({ cluster, report: health?.report ?? null }));
  }

  async get(organizationId: string, id: string): Promise<Operation> {
    const op = isUuid(id) ? await this.prisma.operation.findFirst({ where: { id, organizationId } }) : null;
    if (!op) throw new NotFoundError('Operation', id);
    return op;
  }

  byId(id: string): Promise<Operation | null> {
    return this.prisma.operation.findUnique({ where: { id } });
  }

  byIds(ids: string[]): Promise<Operation[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.prisma.operation.findMany({ where: { id: { in: ids } } });
  }

  byTask(taskId: string): Promise<Operation | null> {
    return this.prisma.operation.findUnique({ where: { agentTaskId: taskId } });
  }

  byTasks(taskIds: string[]): Promise<Operation[]> {
    if (!taskIds.length) return Promise.resolve([]);
    return this.prisma.operation.findMany({ where: { agentTaskId: { in: taskIds } } });
  }

  /**
   * One statement for sync's usual case, over a batch of tasks: the operation of each RUNNING
   * task, still active and within its deadline, takes the task's steps and becomes RUNNING. Tasks
   * for which that is not the case or nothing changed are left out (sync reads and decides).
   */
  mirrorRunningTasks(taskIds: string[], now: Date): Promise<MirroredOperation[]> {
    return this.prisma.$queryRaw<MirroredOperation[]>`
      UPDATE "Operation" o SET "steps" = t."events", "status" = 'RUNNING',
        "startedAt" = coalesce(o."startedAt", ${now}), "updatedAt" = ${now}
      FROM "AgentTask" t
      WHERE t."id" = ANY(${taskIds}::uuid[]) AND o."agentTaskId" = t."id" AND t."status" = 'RUNNING'
        AND o."status" IN ('DISPATCHED', 'RUNNING') AND o."deadlineAt" > ${now}
        AND (o."status" = 'DISPATCHED' OR o."steps" IS DISTINCT FROM t."events")
      RETURNING o."id", o."clusterId", o."organizationId", o."status"::text AS status, o."agentTaskId"`;
  }

  /** Ends many operations in one statement, each only if still active; returns the ids moved. */
  async finishMany(
    db: Db,
    rows: {
      id: string;
      status: OperationStatus;
      setError: boolean;
      error: Prisma.InputJsonValue | null;
      steps: Prisma.InputJsonValue | null;
    }[],
    at: Date,
  ): Promise<string[]> {
    const moved = await db.$queryRaw<{ id: string }[]>`
      UPDATE "Operation" o SET "status" = v.status::"OperationStatus", "finishedAt" = ${at}, "updatedAt" = ${at},
        "error" = CASE WHEN v."setError" THEN v.error ELSE o."error" END,
        "steps" = coalesce(v.steps, o."steps")
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS v(id uuid, status text, "setError" boolean, error jsonb, steps jsonb)
      WHERE o."id" = v.id AND o."status" IN ('QUEUED', 'DISPATCHED', 'RUNNING')
      RETURNING o."id"`;
    return moved.map((m) => m.id);
  }

  async releaseLocks(db: Db, operationIds: string[]): Promise<void> {
    await db.clusterOperationLock.deleteMany({ where: { operationId: { in: operationIds } } });
  }

  async clusterNames(db: Db, clusterIds: string[]): Promise<Map<string, string>> {
    const rows = await db.cluster.findMany({
      where: { id: { in: [...new Set(clusterIds)] } },
      select: { id: true, name: true },
    });
    return new Map(rows.map((c) => [c.id, c.name]));
  }

  unfinished(limit: number): Promise<Operation[]> {
    return this.prisma.operation.findMany({
      where: { status: { in: ACTIVE } },
      orderBy: { createdAt: 'asc' },
      take: limit,
    });
  }

  /** Moves an operation only from the states given, so concurrent handlers cannot regress it. */
  async transition(
    db: Db,
    id: string,
    from: OperationStatus[],
    data: Prisma.OperationUncheckedUpdateManyInput,
  ): Promise<boolean> {
    const r = await db.operation.updateMany({ where: { id, status: { in: from } }, data });
    return r.count === 1;
  }

  async list(
    organizationId: string,
    f: OperationFilter,
    first: number,
    after: string | null,
  ): Promise<Page<Operation>> {
    const where: Prisma.OperationWhereInput = {
      organizationId,
      ...(f.clusterId
        ? { clusterId: isUuid(f.clusterId) ? f.clusterId : '00000000-0000-0000-0000-000000000000' }
        : {}),
      ...(f.status ? { status: f.status } : {}),
      ...(f.kind ? { kind: f.kind } : {}),
    };
    return newestFirstPage({
      where,
      first,
      after,
      timeField: 'createdAt',
      time: (o) => o.createdAt,
      findMany: (a) => this.prisma.operation.findMany(a),
      count: (a) => this.prisma.operation.count(a),
    });
  }
}
