import { Injectable } from '@nestjs/common';
import type { Sealed } from '@meshfleet/certificates';
import { isUuid, newestFirstPage, NotFoundError, Page } from '@meshfleet/core';
import {
  Db,
  DeliveryStatus,
  Prisma,
  PrismaService,
  translatePrismaError,
  WebhookAttempt,
  WebhookDelivery,
  WebhookEndpoint,
} from '@meshfleet/db';
import type { WebhookPayload } from './webhook-payload';

export type DeliveryWithAttempts = WebhookDelivery & { attemptsLog: WebhookAttempt[] };
export type DeliveryWithEndpoint = WebhookDelivery & { endpoint: WebhookEndpoint };

export interface NewDelivery {
  organizationId: string;
  endpointId: string;
  eventId: string | null;
  eventType: string;
  payload: WebhookPayload;
}

export interface NewEndpoint {
  url: string;
  description: string;
  eventTypes: string[];
  clusterSelector: string | null;
  format: string;
  secretEnc: Sealed;
}

/** Endpoint fields to change; absent ones stay. previousSecretEnc null clears the old secret. */
export interface EndpointChanges {
  url?: string;
  description?: string;
  eventTypes?: string[];
  clusterSelector?: string | null;
  format?: string;
  enabled?: boolean;
  disabledReason?: string | null;
  secretEnc?: Sealed;
  previousSecretEnc?: Sealed | null;
  previousSecretExpiresAt?: Date | null;
}

export interface DeliveryChanges {
  status?: DeliveryStatus;
  attempts?: number;
  nextAttemptAt?: Date | null;
  lastStatusCode?: number | null;
  lastError?: string | null;
  deliveredAt?: Date | null;
}

export interface NewAttempt {
  attemptNo: number;
  at: Date;
  statusCode: number | null;
  latencyMs: number;
  responseBody: string | null;
  error: string | null;
}

const sealedJson = (s: Sealed) => s as unknown as Prisma.InputJsonValue;

function endpointData(c: EndpointChanges): Prisma.WebhookEndpointUpdateManyMutationInput {
  const { secretEnc, previousSecretEnc, ...rest } = c;
  return {
    ...rest,
    ...(secretEnc ? { secretEnc: sealedJson(secretEnc) } : {}),
    ...(previousSecretEnc !== undefined
      ? { previousSecretEnc: previousSecretEnc ? sealedJson(previousSecretEnc) : Prisma.DbNull }
      : {}),
  };
}

@Injectable()
export class WebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  listEndpoints(organizationId: string): Promise<WebhookEndpoint[]> {
    return this.prisma.webhookEndpoint.findMany({ where: { organizationId }, orderBy: { createdAt: 'asc' } });
  }

  async getEndpoint(db: Db, organizationId: string, id: string): Promise<WebhookEndpoint> {
    const e = isUuid(id) ? await db.webhookEndpoint.findFirst({ where: { id, organizationId } }) : null;
    if (!e) throw new NotFoundError('WebhookEndpoint', id);
    return e;
  }

  /** getEndpoint outside a transaction. */
  endpoint(organizationId: string, id: string): Promise<WebhookEndpoint> {
    return this.getEndpoint(this.prisma, organizationId, id);
  }

  createEndpoint(db: Db, organizationId: string, data: NewEndpoint): Promise<WebhookEndpoint> {
    return db.webhookEndpoint.create({
      data: { organizationId, ...data, secretEnc: sealedJson(data.secretEnc) },
    });
  }

  async updateEndpoint(
    db: Db,
    organizationId: string,
    id: string,
    changes: EndpointChanges,
  ): Promise<WebhookEndpoint> {
    try {
      return await db.webhookEndpoint.update({ where: { id, organizationId }, data: endpointData(changes) });
    } catch (e) {
      translatePrismaError(e, 'WebhookEndpoint');
    }
  }

  async deleteEndpoint(db: Db, organizationId: string, id: string): Promise<void> {
    try {
      await db.webhookEndpoint.delete({ where: { id, organizationId } });
    } catch (e) {
      translatePrismaError(e, 'WebhookEndpoint');
    }
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

  /**
   * The delivery a job names, with its endpoint. Jobs carry only the delivery id, so this one read
   * is not scoped; everything after it uses the delivery's organizationId.
   */
  deliveryForJob(id: string): Promise<DeliveryWithEndpoint | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.prisma.webhookDelivery.findUnique({ where: { id }, include: { endpoint: true } });
  }

  findDelivery(db: Db, organizationId: string, id: string): Promise<DeliveryWithEndpoint | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return db.webhookDelivery.findFirst({ where: { id, organizationId }, include: { endpoint: true } });
  }

  /** Locks the delivery row so two workers never run the same attempt; false when there is none. */
  async lockDelivery(db: Db, organizationId: string, id: string): Promise<boolean> {
    const rows = await db.$queryRaw<unknown[]>`
      SELECT 1 FROM "WebhookDelivery" WHERE "id" = ${id}::uuid AND "organizationId" = ${organizationId}::uuid
      FOR UPDATE`;
    return rows.length > 0;
  }

  async updateDelivery(
    db: Db,
    organizationId: string,
    id: string,
    changes: DeliveryChanges,
  ): Promise<WebhookDelivery> {
    try {
      return await db.webhookDelivery.update({ where: { id, organizationId }, data: changes });
    } catch (e) {
      translatePrismaError(e, 'WebhookDelivery');
    }
  }

  /** Gives up on a delivery without an attempt (its endpoint is disabled). */
  async failDelivery(organizationId: string, id: string, lastError: string): Promise<void> {
    await this.prisma.webhookDelivery.updateMany({
      where: { id, organizationId },
      data: { status: DeliveryStatus.FAILED, nextAttemptAt: null, lastError },
    });
  }

  /** An attempt row belongs to its delivery (the caller holds the delivery's lock). */
  async recordAttempt(db: Db, deliveryId: string, attempt: NewAttempt): Promise<void> {
    await db.webhookAttempt.create({ data: { deliveryId, ...attempt } });
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

  /** Name and labels of the clusters events name, limited to the events' organizations. */
  clusters(db: Db, organizationIds: string[], ids: string[]) {
    return db.cluster.findMany({
      where: { id: { in: ids }, organizationId: { in: organizationIds } },
      select: { id: true, organizationId: true, name: true, labels: true },
    });
  }

  organizations(db: Db, ids: string[]) {
    return db.organization.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } });
  }
}
