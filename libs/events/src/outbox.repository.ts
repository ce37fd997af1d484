import { Injectable } from '@nestjs/common';
import { Db, DomainEvent, PrismaService } from '@meshfleet/db';

/**
 * The outbox tables (DomainEvent, PendingDomainEvent) as the consumer drains them. The outbox is
 * drained for every organization at once; rows keep their organizationId for the handlers.
 */
@Injectable()
export class OutboxRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>, opts?: { timeout?: number; maxWait?: number }): Promise<T> {
    return this.prisma.$transaction(fn, opts);
  }

  /**
   * Hands up to `batch` new events to every handler (one PendingDomainEvent row each) and marks
   * them processed, in one transaction; rows other replicas hold are skipped. Returns how many.
   */
  handOut(handlers: string[], batch: number): Promise<number> {
    return this.prisma.$transaction(async (db) => {
      const events = await db.$queryRaw<{ id: string; createdAt: Date }[]>`
        SELECT "id", "createdAt" FROM "DomainEvent" WHERE "processedAt" IS NULL
        ORDER BY "createdAt", "id" LIMIT ${batch} FOR UPDATE SKIP LOCKED`;
      if (events.length === 0) return 0;
      await db.pendingDomainEvent.createMany({
        data: events.flatMap((e) =>
          handlers.map((handler) => ({ handler, eventId: e.id, createdAt: e.createdAt })),
        ),
        skipDuplicates: true,
      });
      await db.domainEvent.updateMany({
        where: { id: { in: events.map((e) => e.id) } },
        data: { processedAt: new Date() },
      });
      return events.length;
    });
  }

  /**
   * Per handler, the age in seconds of the oldest event it has not handled yet: an event not
   * handed out counts for every handler. 0 when a handler is caught up.
   */
  async lagSeconds(handlers: string[]): Promise<Map<string, number>> {
    const [unhanded] = await this.prisma.$queryRaw<{ at: Date | null }[]>`
      SELECT MIN("createdAt") AS "at" FROM "DomainEvent" WHERE "processedAt" IS NULL`;
    const pending = await this.prisma.pendingDomainEvent.groupBy({
      by: ['handler'],
      _min: { createdAt: true },
    });
    const now = Date.now();
    const age = (at: Date | null | undefined) => (at ? Math.max(0, (now - at.getTime()) / 1000) : 0);
    const oldest = new Map(pending.map((p) => [p.handler, age(p._min.createdAt)]));
    return new Map(handlers.map((h) => [h, Math.max(age(unhanded?.at), oldest.get(h) ?? 0)]));
  }

  /** Claims (locks) up to `batch` of a handler's pending events, oldest first; returns their ids. */
  async claimPending(db: Db, handler: string, batch: number): Promise<string[]> {
    const claimed = await db.$queryRaw<{ eventId: string }[]>`
      SELECT "eventId" FROM "PendingDomainEvent" WHERE "handler" = ${handler}
      ORDER BY "createdAt", "eventId" LIMIT ${batch} FOR UPDATE SKIP LOCKED`;
    return claimed.map((c) => c.eventId);
  }

  /** The claimed events themselves, in creation order. */
  events(db: Db, ids: string[]): Promise<DomainEvent[]> {
    return db.domainEvent.findMany({
      where: { id: { in: ids } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  /** A handler is done with these events. */
  async releasePending(db: Db, handler: string, ids: string[]): Promise<void> {
    await db.pendingDomainEvent.deleteMany({ where: { handler, eventId: { in: ids } } });
  }
}
