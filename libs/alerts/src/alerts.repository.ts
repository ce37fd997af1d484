import { Injectable } from '@nestjs/common';
import { isUuid, newestFirstPage, NotFoundError, Page } from '@meshfleet/core';
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
    const alert = isUuid(id) ? await db.alert.findFirst({ where: { id, organizationId } }) : null;
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
    if (filter.clusterId) where.clusterId = isUuid(filter.clusterId) ? filter.clusterId : null;
    return newestFirstPage({
      where,
      first,
      after,
      timeField: 'firstFiredAt',
      time: (r) => r.firstFiredAt,
      findMany: (a) => this.prisma.alert.findMany(a),
      count: (a) => this.prisma.alert.count(a),
    });
  }

  // --- evaluator side -------------------------------------------------------------------------

  /** Serializes evaluations of one cluster (event-driven and periodic) for this transaction. */
  async lockKey(db: Db, key: string): Promise<void> {
    await db.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`alerts:${key}`}))`;
  }

  async clusterState(db: Db, clusterId: string): Promise<(ClusterState & { organizationId: string }) | null> {
    const c = await db.cluster.findUnique({ where: { id: clusterId }, include: { health: true } });
    if (!c) return null;
    const [lock, lastOperation] = await Promise.all([
      db.clusterOperationLock.findUnique({ where: { clusterId }, select: { clusterId: true } }),
      db.operation.findFirst({
        where: { clusterId },
        orderBy: { createdAt: 'desc' },
        select: { finishedAt: true },
      }),
    ]);
    const finishedAt = lastOperation?.finishedAt ?? null;
    return {
      changing:
        lock !== null || (c.health !== null && finishedAt !== null && c.health.receivedAt < finishedAt),
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

  /**
   * Clusters the periodic pass must look at, in one set-based query: those with a firing
   * state-driven alert (it may resolve, escalate or need its lastSeenAt refreshed), those whose
   * stored state meets a rule's condition (a report can change coverage, skew or certificates
   * without any event; rules can be enabled or re-tuned), those whose certificates come within the
   * largest CERTIFICATE_EXPIRING threshold, and the ones the evaluator asked to see again (`due`:
   * a pending `for` or a cool-down ending). Rule params are read per organization, over defaults.
   */
  async clustersToEvaluate(
    now: Date,
    stateKinds: string[],
    due: string[],
    defaults: { degradedEnabled: boolean; coverageThreshold: number; expiringDays: number },
  ): Promise<string[]> {
    const ids = due.filter(isUuid);
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT c."id" FROM "Cluster" c
        LEFT JOIN "ClusterHealth" h ON h."clusterId" = c."id"
        LEFT JOIN "AlertRule" rd ON rd."organizationId" = c."organizationId" AND rd."kind" = 'MESH_DEGRADED'
        LEFT JOIN "AlertRule" rm ON rm."organizationId" = c."organizationId" AND rm."kind" = 'MTLS_COVERAGE_BELOW'
        LEFT JOIN "AlertRule" re ON re."organizationId" = c."organizationId" AND re."kind" = 'CERTIFICATE_EXPIRING'
      WHERE c."status" <> 'DEREGISTERED'::"ClusterStatus" AND (
        c."status" = 'OFFLINE'::"ClusterStatus"
        OR h."status" = 'UNHEALTHY'::"HealthStatus"
        OR (h."status" = 'DEGRADED'::"HealthStatus" AND COALESCE(rd."enabled", ${defaults.degradedEnabled}))
        OR h."proxySkew" = 'unsupported'
        OR h."podCoverage" < COALESCE((rm."params"->>'threshold')::float8, ${defaults.coverageThreshold})
        OR h."earliestCertExpiry" < ${now}::timestamptz + interval '1 day' * COALESCE(
          (SELECT MAX(d::float8) FROM jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(re."params"->'days') = 'array' THEN re."params"->'days' END) AS d),
          ${defaults.expiringDays}))
      UNION
      SELECT a."clusterId" FROM "Alert" a
      WHERE a."activeKey" IS NOT NULL AND a."clusterId" IS NOT NULL AND a."kind" = ANY(${stateKinds}::text[])
      UNION
      SELECT c."id" FROM "Cluster" c WHERE c."id" = ANY(${ids}::uuid[])`;
    return rows.map((r) => r.id);
  }
}
