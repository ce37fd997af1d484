import { Injectable } from '@nestjs/common';
import { isUuid, newestFirstPage, NotFoundError, Page } from '@meshfleet/core';
import {
  Alert,
  AlertRule,
  AlertStatus,
  Db,
  HealthStatus,
  ManagementMode,
  OperationKind,
  OperationStatus,
  Prisma,
  PrismaService,
  translatePrismaError,
} from '@meshfleet/db';
import { GitopsSourceSchema, type ResourceUsage } from '@meshfleet/agent-protocol';
import { ClusterState, EXPECT_LINKERD_LABEL } from './alert-conditions';

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

/** Alert fields the service and the evaluator change. */
export interface AlertChanges {
  severity?: string;
  summary?: string;
  lastSeenAt?: Date;
  silencedUntil?: Date | null;
  acknowledgedAt?: Date;
  acknowledgedBy?: string;
}

/** The parts of a stored report the per-certificate and skew alerts name (read defensively). */
interface StoredReport {
  certificates?: { role?: string; name?: string; notAfter?: string }[];
  linkerd?: { skew?: { oldestProxy?: string | null; controlPlane?: string | null } };
  drift?: { total?: number } | null;
  gitops?: { source?: unknown } | null;
}

/** The report's GitOps source, when it is one the protocol accepts. */
function storedSource(report: StoredReport | null) {
  const parsed = GitopsSourceSchema.safeParse(report?.gitops?.source);
  return parsed.success ? parsed.data : null;
}

/** ClusterHealth.resources as stored (the report's validated block, or null). */
type StoredResources = ResourceUsage | null;

/** One cluster as the periodic pass reads it (see fleetFacts). */
export interface FleetFact {
  id: string;
  organizationId: string;
  name: string;
  status: string;
  health: string | null;
  podCoverage: number | null;
  trafficCoverage: number | null;
  proxySkew: string | null;
  driftCount: number | null;
  controlPlaneVersion: string | null;
  earliestCertExpiry: Date | null;
  resources: StoredResources;
  firing: boolean;
  due: boolean;
  linkerdExpected: boolean;
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
    rule: { enabled: boolean; severity: string; forSeconds: number; params: Record<string, unknown> },
  ): Promise<AlertRule> {
    const data = { ...rule, params: rule.params as Prisma.InputJsonValue };
    return db.alertRule.upsert({
      where: { organizationId_kind: { organizationId, kind } },
      create: { organizationId, kind, ...data },
      update: data,
    });
  }

  /** get outside a transaction. */
  find(organizationId: string, id: string): Promise<Alert> {
    return this.get(this.prisma, organizationId, id);
  }

  async get(db: Db, organizationId: string, id: string): Promise<Alert> {
    const alert = isUuid(id) ? await db.alert.findFirst({ where: { id, organizationId } }) : null;
    if (!alert) throw new NotFoundError('Alert', id);
    return alert;
  }

  async update(db: Db, organizationId: string, id: string, changes: AlertChanges): Promise<Alert> {
    try {
      return await db.alert.update({ where: { id, organizationId }, data: changes });
    } catch (e) {
      translatePrismaError(e, 'Alert');
    }
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

  async clusterState(
    db: Db,
    organizationId: string,
    clusterId: string,
  ): Promise<(ClusterState & { organizationId: string }) | null> {
    // The health row first, then the cluster: a report's statement writes both, so the cluster
    // read after it is never older than the health (its GitOps mode matches the report or is newer).
    const health = await db.clusterHealth.findUnique({ where: { clusterId } });
    const row = await db.cluster.findFirst({ where: { id: clusterId, organizationId } });
    if (!row) return null;
    const c = { ...row, health: health?.organizationId === organizationId ? health : null };
    const [lock, lastOperation, lastLifecycle] = await Promise.all([
      db.clusterOperationLock.findUnique({ where: { clusterId }, select: { clusterId: true } }),
      db.operation.findFirst({
        where: { clusterId, organizationId },
        orderBy: { createdAt: 'desc' },
        select: { finishedAt: true },
      }),
      // Whether Meshfleet left Linkerd installed: its last successful install/upgrade/uninstall.
      c.health?.status === HealthStatus.NOT_INSTALLED
        ? db.operation.findFirst({
            where: {
              clusterId,
              organizationId,
              status: OperationStatus.SUCCEEDED,
              kind: { in: [OperationKind.INSTALL, OperationKind.UPGRADE, OperationKind.UNINSTALL] },
            },
            orderBy: { finishedAt: 'desc' },
            select: { kind: true },
          })
        : null,
    ]);
    const finishedAt = lastOperation?.finishedAt ?? null;
    const h = c.health;
    const report = (h?.report ?? null) as StoredReport | null;
    return {
      changing: lock !== null || (h !== null && finishedAt !== null && h.receivedAt < finishedAt),
      linkerdExpected:
        (c.labels as Record<string, unknown> | null)?.[EXPECT_LINKERD_LABEL] === 'true' ||
        (lastLifecycle !== null && lastLifecycle.kind !== OperationKind.UNINSTALL),
      id: c.id,
      organizationId: c.organizationId,
      name: c.name,
      status: c.status,
      gitops:
        c.managementMode === ManagementMode.GITOPS
          ? { tool: c.gitopsTool, source: storedSource(report) }
          : null,
      health:
        h && report
          ? {
              status: h.status,
              podCoverage: h.podCoverage,
              trafficCoverage: h.trafficCoverage,
              skew: {
                status: h.proxySkew,
                oldestProxy: report.linkerd?.skew?.oldestProxy ?? null,
                controlPlane: report.linkerd?.skew?.controlPlane ?? null,
              },
              certificates: (report.certificates ?? []).flatMap((x) =>
                x.notAfter ? [{ role: x.role ?? 'unknown', name: x.name ?? '', notAfter: x.notAfter }] : [],
              ),
              resources: (h.resources ?? null) as StoredResources,
              driftCount: report.drift?.total ?? null,
            }
          : null,
    };
  }

  firingForCluster(db: Db, organizationId: string, clusterId: string): Promise<Alert[]> {
    return db.alert.findMany({ where: { organizationId, clusterId, status: AlertStatus.FIRING } });
  }

  firingByFingerprint(db: Db, organizationId: string, fingerprint: string): Promise<Alert | null> {
    return db.alert.findFirst({ where: { activeKey: fingerprint, organizationId } });
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
    return id ? db.alert.findFirst({ where: { id, organizationId: a.organizationId } }) : null;
  }

  async resolve(db: Db, organizationId: string, id: string, at: Date): Promise<Alert> {
    try {
      return await db.alert.update({
        where: { id, organizationId },
        data: { status: AlertStatus.RESOLVED, activeKey: null, resolvedAt: at, lastSeenAt: at },
      });
    } catch (e) {
      translatePrismaError(e, 'Alert');
    }
  }

  // --- pending `for` marks and due times (same transaction as the evaluation) -----------------

  /** When each of the cluster's pending conditions (by fingerprint) started to hold. */
  async pending(db: Db, clusterId: string): Promise<Map<string, Date>> {
    const rows = await db.alertPending.findMany({ where: { clusterId } });
    return new Map(rows.map((r) => [r.fingerprint, r.since]));
  }

  async markPending(db: Db, clusterId: string, fingerprint: string, since: Date): Promise<void> {
    await db.alertPending.createMany({ data: [{ clusterId, fingerprint, since }], skipDuplicates: true });
  }

  async clearPending(db: Db, clusterId: string, fingerprints: string[]): Promise<void> {
    if (fingerprints.length)
      await db.alertPending.deleteMany({ where: { clusterId, fingerprint: { in: fingerprints } } });
  }

  /** When the evaluator wants to see the cluster again; null: not until something happens. */
  async setDue(db: Db, clusterId: string, at: Date | null): Promise<void> {
    if (at === null) await db.alertDue.deleteMany({ where: { clusterId } });
    else
      await db.alertDue.upsert({
        where: { clusterId },
        create: { clusterId, dueAt: at },
        update: { dueAt: at },
      });
  }

  /**
   * What the periodic pass decides on, for every cluster in one narrow read (the columns derived
   * at ingest, never the report): its state-rule facts, whether a state-driven alert fires for it,
   * and whether the evaluator asked to see it again by now. The rules themselves are applied by
   * the caller (clusterConditions), so no rule is written twice.
   */
  async fleetFacts(now: Date, stateKinds: string[]): Promise<FleetFact[]> {
    // Joins rather than per-row subqueries: one pass over the firing alerts and the due times.
    return this.prisma.$queryRaw<FleetFact[]>`
      SELECT c."id", c."organizationId", c."name", c."status"::text AS status,
        h."status"::text AS health, h."podCoverage", h."trafficCoverage", h."proxySkew", h."driftCount",
        h."controlPlaneVersion", h."earliestCertExpiry", h."resources",
        f."clusterId" IS NOT NULL AS firing, d."clusterId" IS NOT NULL AS due,
        -- Only a NOT_INSTALLED cluster needs to know (see ClusterState.linkerdExpected).
        (h."status" = 'NOT_INSTALLED' AND (
          c."labels" @> ${JSON.stringify({ [EXPECT_LINKERD_LABEL]: 'true' })}::jsonb OR
          (SELECT o."kind" FROM "Operation" o
            WHERE o."clusterId" = c."id" AND o."status" = 'SUCCEEDED'
              AND o."kind" IN ('INSTALL', 'UPGRADE', 'UNINSTALL')
            ORDER BY o."finishedAt" DESC NULLS LAST LIMIT 1) IN ('INSTALL', 'UPGRADE')
        )) IS TRUE AS "linkerdExpected"
      FROM "Cluster" c
        LEFT JOIN "ClusterHealth" h ON h."clusterId" = c."id"
        LEFT JOIN (SELECT DISTINCT a."clusterId" FROM "Alert" a
          WHERE a."activeKey" IS NOT NULL AND a."kind" = ANY(${stateKinds}::text[])) f ON f."clusterId" = c."id"
        LEFT JOIN "AlertDue" d ON d."clusterId" = c."id" AND d."dueAt" <= ${now}`;
  }

  /** Stored rule overrides of many organizations. */
  rulesOf(organizationIds: string[]): Promise<AlertRule[]> {
    return this.prisma.alertRule.findMany({ where: { organizationId: { in: organizationIds } } });
  }
}
