import { Injectable } from '@nestjs/common';
import { ClusterStatus, PrismaService } from '@meshfleet/db';
import { recordDomainEvent } from '@meshfleet/events';

/** The Postgres side of agent liveness: status transitions, each with its domain event. */
@Injectable()
export class LivenessRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * PENDING/OFFLINE -> CONNECTED (and lastSeenAt) when an absent agent shows up again. One
   * statement, so the transition and its cluster.online event commit together without an
   * interactive transaction (this runs for every agent after a Redis loss).
   */
  async markConnected(
    organizationId: string,
    clusterId: string,
    agentVersion: string,
    at: Date,
  ): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<{ before: string }[]>`
      WITH prev AS (
        SELECT "id", "status", "name" FROM "Cluster"
        WHERE "id" = ${clusterId}::uuid AND "organizationId" = ${organizationId}::uuid FOR UPDATE
      ), upd AS (
        UPDATE "Cluster" c SET "status" = 'CONNECTED', "lastSeenAt" = ${at}, "agentVersion" = ${agentVersion}, "updatedAt" = now()
        FROM prev WHERE c."id" = prev."id" AND prev."status" <> 'DEREGISTERED'
        RETURNING prev."status"::text AS before, prev."name" AS name
      ), ev AS (
        INSERT INTO "DomainEvent" ("id", "organizationId", "type", "clusterId", "payload")
        SELECT gen_random_uuid(), ${organizationId}::uuid, 'cluster.online', ${clusterId}::uuid,
               jsonb_build_object('clusterName', name, 'previousStatus', before)
        FROM upd WHERE before <> 'CONNECTED'
        RETURNING 1
      )
      SELECT before FROM upd`;
    return rows.length > 0 && rows[0]!.before !== 'CONNECTED';
  }

  /**
   * markConnected for many clusters in one statement (a reconnect storm after a Redis loss makes
   * every agent's next heartbeat a transition). Distinct cluster ids; returns those that were not
   * CONNECTED before. Rows are locked in id order, like every multi-row writer of "Cluster" here.
   */
  async markConnectedMany(
    items: readonly { organizationId: string; clusterId: string; agentVersion: string; at: Date }[],
  ): Promise<Set<string>> {
    const input = JSON.stringify(
      items.map((i) => ({
        id: i.clusterId,
        organizationId: i.organizationId,
        agentVersion: i.agentVersion,
        at: i.at.toISOString(),
      })),
    );
    const rows = await this.prisma.$queryRawUnsafe<{ id: string; before: string }[]>(
      `WITH input AS (
        SELECT * FROM jsonb_to_recordset($1::jsonb) AS t("id" uuid, "organizationId" uuid, "agentVersion" text, "at" timestamp(3))
      ), prev AS (
        SELECT c."id", c."status", c."name", c."organizationId" FROM "Cluster" c
        JOIN input i ON i."id" = c."id" AND i."organizationId" = c."organizationId"
        ORDER BY c."id" FOR UPDATE OF c
      ), upd AS (
        UPDATE "Cluster" c SET "status" = 'CONNECTED', "lastSeenAt" = i."at", "agentVersion" = i."agentVersion", "updatedAt" = now()
        FROM prev JOIN input i USING ("id")
        WHERE c."id" = prev."id" AND prev."status" <> 'DEREGISTERED'
        RETURNING c."id", prev."organizationId", prev."status"::text AS before, prev."name" AS name
      ), ev AS (
        INSERT INTO "DomainEvent" ("id", "organizationId", "type", "clusterId", "payload")
        SELECT gen_random_uuid(), "organizationId", 'cluster.online', "id",
               jsonb_build_object('clusterName', name, 'previousStatus', before)
        FROM upd WHERE before <> 'CONNECTED'
        RETURNING 1
      )
      SELECT "id"::text AS id, before FROM upd`,
      input,
    );
    return new Set(rows.filter((r) => r.before !== 'CONNECTED').map((r) => r.id));
  }

  /**
   * CONNECTED -> OFFLINE for clusters not seen since the cutoff. The lastSeenAt condition keeps a
   * cluster whose agent came back between the Redis pop and this update from being marked offline.
   */
  async markOffline(
    clusterIds: string[],
    cutoff: Date,
  ): Promise<{ id: string; organizationId: string; name: string }[]> {
    if (clusterIds.length === 0) return [];
    return this.prisma.$transaction(async (db) => {
      const stale = await db.cluster.findMany({
        where: {
          id: { in: clusterIds },
          status: ClusterStatus.CONNECTED,
          OR: [{ lastSeenAt: null }, { lastSeenAt: { lt: cutoff } }],
        },
        select: { id: true, organizationId: true, name: true, lastSeenAt: true },
      });
      if (stale.length === 0) return [];
      await db.cluster.updateMany({
        where: { id: { in: stale.map((c) => c.id) }, status: ClusterStatus.CONNECTED },
        data: { status: ClusterStatus.OFFLINE },
      });
      for (const c of stale) {
        await recordDomainEvent(db, c.organizationId, 'cluster.offline', c.id, {
          clusterName: c.name,
          lastSeenAt: c.lastSeenAt?.toISOString() ?? null,
        });
      }
      return stale;
    });
  }

  /** CONNECTED clusters whose last sign of life in Postgres is older than the cutoff. */
  async connectedNotSeenSince(cutoff: Date, limit: number): Promise<string[]> {
    const rows = await this.prisma.cluster.findMany({
      where: { status: ClusterStatus.CONNECTED, lastSeenAt: { lt: cutoff } },
      select: { id: true },
      take: limit,
    });
    return rows.map((r) => r.id);
  }
}
