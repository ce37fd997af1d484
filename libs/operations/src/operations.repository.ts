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

  async releaseLock(db: Db, operationId: string): Promise<void> {
    await db.clusterOperationLock.deleteMany({ where: { operationId } });
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
