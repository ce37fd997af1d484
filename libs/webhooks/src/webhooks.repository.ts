import { Injectable } from '@nestjs/common';
import { isUuid, newestFirstPage, NotFoundError, Page } from '@meshfleet/core';
import {
  Db,
  DeliveryStatus,
  Prisma,
  PrismaService,
  WebhookAttempt,
  WebhookDelivery,
  WebhookEndpoint,
} from '@meshfleet/db';

export type DeliveryWithAttempts = WebhookDelivery & { attemptsLog: WebhookAttempt[] };

export interface NewDelivery {
  organizationId: string;
  endpointId: string;
  eventId: string | null;
  eventType: string;
  payload: Prisma.InputJsonValue;
}

@Injectable()
export class WebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  get db(): Db {
    return this.prisma;
  }

  listEndpoints(organizationId: string): Promise<WebhookEndpoint[]> {
    return this.prisma.webhookEndpoint.findMany({ where: { organizationId }, orderBy: { createdAt: 'asc' } });
  }

  async getEndpoint(db: Db, organizationId: string, id: string): Promise<WebhookEndpoint> {
    const e = isUuid(id) ? await db.webhookEndpoint.findFirst({ where: { id, organizationId } }) : null;
    if (!e) throw new NotFoundError('WebhookEndpoint', id);
    return e;
  }

  createEndpoint(db: Db, data: Prisma.WebhookEndpointUncheckedCreateInput): Promise<WebhookEndpoint> {
    return db.webhookEndpoint.create({ data });
  }

  updateEndpoint(db: Db, id: string, data: Prisma.WebhookEndpointUpdateInput): Promise<WebhookEndpoint> {
    return db.webhookEndpoint.update({ where: { id }, data });
  }

  async deleteEndpoint(db: Db, id: string): Promise<void> {
    await db.webhookEndpoint.delete({ where: { id } });
  }

  enabledEndpoints(db: Db, organizationIds: string[]): Promise<WebhookEndpoint[]> {
    return db.webhookEndpoint.findMany({ where: { organizationId: { in: organizationIds }, enabled: true } });
  }

  /** One delivery per (endpoint, event): a re-processed event inserts nothing new. */
  async insertDeliveries(db: Db, rows: NewDelivery[], at: Date): Promise<string[]> {
    const ids: string[] = [];
    for (const r of rows) {
      const out = await db.$queryRaw<{ id: string }[]>`
        INSERT INTO "WebhookDelivery" ("id", "organizationId", "endpointId", "eventId", "eventType", "payload",
          "status", "attempts", "nextAttemptAt")
        VALUES (gen_random_uuid(), ${r.organizationId}::uuid, ${r.endpointId}::uuid, ${r.eventId}::uuid, ${r.eventType},
          ${JSON.stringify(r.payload)}::jsonb, 'PENDING'::"DeliveryStatus", 0, ${at})
        ON CONFLICT ("endpointId", "eventId") DO NOTHING RETURNING "id"`;
      if (out[0]) ids.push(out[0].id);
    }
    return ids;
  }

  async getDelivery(db: Db, organizationId: string, id: string): Promise<WebhookDelivery> {
    const d = isUuid(id) ? await db.webhookDelivery.findFirst({ where: { id, organizationId } }) : null;
    if (!d) throw new NotFoundError('WebhookDelivery', id);
    return d;
  }

  findDelivery(db: Db, id: string): Promise<(WebhookDelivery & { endpoint: WebhookEndpoint }) | null> {
    return db.webhookDelivery.findUnique({ where: { id }, include: { endpoint: true } });
  }

  /** Locks the delivery row so two workers never run the same attempt. */
  async lockDelivery(db: Db, id: string): Promise<void> {
    await db.$queryRaw`SELECT 1 FROM "WebhookDelivery" WHERE "id" = ${id}::uuid FOR UPDATE`;
  }

  updateDelivery(db: Db, id: string, data: Prisma.WebhookDeliveryUpdateInput): Promise<WebhookDelivery> {
    return db.webhookDelivery.update({ where: { id }, data });
  }

  async recordAttempt(db: Db, data: Prisma.WebhookAttemptUncheckedCreateInput): Promise<void> {
    await db.webhookAttempt.create({ data });
  }

  async listDeliveries(
    organizationId: string,
    endpointId: string,
    first: number,
    after: string | null,
  ): Promise<Page<DeliveryWithAttempts>> {
    const where: Prisma.WebhookDeliveryWhereInput = { organizationId, endpointId };
    return newestFirstPage({
      where,
      first,
      after,
      timeField: 'createdAt',
      time: (r) => r.createdAt,
      findMany: (a) =>
        this.prisma.webhookDelivery.findMany({
          ...a,
          include: { attemptsLog: { orderBy: { attemptNo: 'asc' } } },
        }),
      count: (a) => this.prisma.webhookDelivery.count(a),
    });
  }

  /** Pending deliveries whose attempt is overdue (a lost job): the reconciler re-enqueues them. */
  async overdue(before: Date, limit: number): Promise<{ id: string; attempts: number }[]> {
    return this.prisma.webhookDelivery.findMany({
      where: { status: DeliveryStatus.PENDING, nextAttemptAt: { lt: before } },
      select: { id: true, attempts: true },
      orderBy: { nextAttemptAt: 'asc' },
      take: limit,
    });
  }

  clusters(db: Db, ids: string[]) {
    return db.cluster.findMany({
      where: { id: { in: ids } },
      select: { id: true, name: true, labels: true },
    });
  }

  organizations(db: Db, ids: string[]) {
    return db.organization.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } });
  }
}
