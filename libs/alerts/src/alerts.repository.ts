import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor, NotFoundError, Page } from '@meshfleet/core';
import { Alert, AlertRule, AlertStatus, Db, Prisma, PrismaService } from '@meshfleet/db';
import { ClusterState } from './alert-conditions';

export interface AlertListFilter {
  status?: AlertStatus | null;
  clusterId?: string | null;
  kind?: string | null;
}

export interface NewAlert {
  organizationId: string;
  kind: string;
  fingerprint: string;
  clusterId: string | null;
  subject: string;
  severity: string;
  summary: string;
}

type Pos = { t: string; id: string };
const isPos = (v: unknown): v is Pos =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Pos).t === 'string' &&
  typeof (v as Pos).id === 'string';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class AlertsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn, { timeout: 30_000 });
  }

  rules(db: Db, organizationId: string): Promise<AlertRule[]> {
    return db.alertRule.findMany({ where: { organizationId } });
  }

  upsertRule(
    db: Db,
    organizationId: string,
    kind: string,
    data: { enabled: boolean; severity: string; forSeconds: number; params: Prisma.InputJsonValue },
  ): Promise<AlertRule> {
    return db.alertRule.upsert({
      where: { organizationId_kind: { organizationId, kind } },
      create: { organizationId, kind, ...data },
      update: data,
    });
  }

  async get(db: Db, organizationId: string, id: string): Promise<Alert> {
    const alert = UUID.test(id) ? await db.alert.findFirst({ where: { id, organizationId } }) : null;
    if (!alert) throw new NotFoundError('Alert', id);
    return alert;
  }

  update(db: Db, id: string, data: Prisma.AlertUpdateInput): Promise<Alert> {
    return db.alert.update({ where: { id }, data });
  }

  async list(
    organizationId: string,
    filter: AlertListFilter,
    first: number,
    after: string | null,
  ): Promise<Page<Alert>> {
    const where: Prisma.AlertWhereInput = { organizationId };
    if (filter.status) where.status = filter.status;
    if (filter.kind) where.kind = filter.kind;
    if (filter.clusterId) where.clusterId = UUID.test(filter.clusterId) ? filter.clusterId : null;
    const pos = after ? decodeCursor(after, isPos) : null;
    const page: Prisma.AlertWhereInput = pos
      ? {
          AND: [
            where,
            {
              OR: [
                { firstFiredAt: { lt: new Date(pos.t) } },
                { firstFiredAt: new Date(pos.t), id: { lt: pos.id } },
              ],
            },
          ],
        }
      : where;
    const [rows, totalCount] = await Promise.all([
      this.prisma.alert.findMany({
        where: page,
        orderBy: [{ firstFiredAt: 'desc' }, { id: 'desc' }],
        take: first + 1,
      }),
      this.prisma.alert.count({ where }),
    ]);
    const items = rows.slice(0, first);
    return {
      items,
      cursors: items.map((a) => encodeCursor({ t: a.firstFiredAt.toISOString(), id: a.id })),
      hasNextPage: rows.length > first,
      totalCount,
    };
  }

  // --- evaluator side -------------------------------------------------------------------------

  /** Serializes evaluations of one cluster (event-driven and periodic) for this transaction. */
  async lockKey(db: Db, key: string): Promise<void> {
    await db.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`alerts:${key}`}))`;
  }

  async clusterState(db: Db, clusterId: string): Promise<(ClusterState & { organizationId: string }) | null> {
    const c = await db.cluster.findUnique({ where: { id: clusterId }, include: { health: true } });
    if (!c) return null;
    return {
      id: c.id,
      organizationId: c.organizationId,
      name: c.name,
      status: c.status,
      health: c.health
        ? { status: c.health.status, podCoverage: c.health.podCoverage, report: c.health.report }
        : null,
    };
  }

  firingForCluster(db: Db, organizationId: string, clusterId: string): Promise<Alert[]> {
    return db.alert.findMany({ where: { organizationId, clusterId, status: AlertStatus.FIRING } });
  }

  firingByFingerprint(db: Db, fingerprint: string): Promise<Alert | null> {
    return db.alert.findUnique({ where: { activeKey: fingerprint } });
  }

  lastResolved(db: Db, organizationId: string, fingerprint: string): Promise<Alert | null> {
    return db.alert.findFirst({
      where: { organizationId, fingerprint, status: AlertStatus.RESOLVED },
      orderBy: { resolvedAt: 'desc' },
    });
  }

  /** Inserts a firing alert unless one with the fingerprint already fires; returns it if inserted. */
  async fire(db: Db, a: NewAlert, at: Date): Promise<Alert | null> {
    const rows = await db.$queryRaw<{ id: string }[]>`
      INSERT INTO "Alert" ("id", "organizationId", "kind", "fingerprint", "activeKey", "clusterId", "subject",
        "severity", "summary", "status", "firstFiredAt", "lastSeenAt")
      VALUES (gen_random_uuid(), ${a.organizationId}::uuid, ${a.kind}, ${a.fingerprint}, ${a.fingerprint},
        ${a.clusterId}::uuid, ${a.subject}, ${a.severity}, ${a.summary}, 'FIRING'::"AlertStatus", ${at}, ${at})
      ON CONFLICT ("activeKey") DO NOTHING
      RETURNING "id"`;
    const id = rows[0]?.id;
    return id ? db.alert.findUnique({ where: { id } }) : null;
  }

  resolve(db: Db, id: string, at: Date): Promise<Alert> {
    return db.alert.update({
      where: { id },
      data: { status: AlertStatus.RESOLVED, activeKey: null, resolvedAt: at, lastSeenAt: at },
    });
  }

  /** Clusters worth a periodic look: those still managed, and any with a firing alert. */
  async clustersToEvaluate(afterId: string | null, limit: number): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT c."id" FROM "Cluster" c
      WHERE (c."status" <> 'DEREGISTERED'::"ClusterStatus"
        OR EXISTS (SELECT 1 FROM "Alert" a WHERE a."clusterId" = c."id" AND a."status" = 'FIRING'::"AlertStatus"))
        AND (${afterId}::uuid IS NULL OR c."id" > ${afterId}::uuid)
      ORDER BY c."id" LIMIT ${limit}`;
    return rows.map((r) => r.id);
  }
}
