import { Injectable, Logger, Module, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Db, DomainEvent, PrismaService } from '@meshfleet/db';

/**
 * One consumer of the outbox in a worker. Returns work to run after the claiming transaction
 * commits (e.g. enqueueing jobs for rows it inserted), or nothing.
 */
export interface OutboxHandler {
  name: string;
  handle(db: Db, events: DomainEvent[]): Promise<(() => Promise<void>) | void>;
}

const BATCH = 200;

/**
 * Drains the DomainEvent outbox: claims unprocessed events in creation order with
 * FOR UPDATE SKIP LOCKED (so replicas share the work), runs every registered handler in the same
 * transaction, and marks the events processed. Handlers may record new events; the loop picks
 * them up on its next pass, which comes at once while there is work.
 */
@Injectable()
export class OutboxConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(OutboxConsumer.name);
  private readonly handlers: OutboxHandler[] = [];
  private intervalMs = 1000;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly prisma: PrismaService) {}

  register(handler: OutboxHandler, opts: { pollIntervalMs?: number } = {}): void {
    this.handlers.push(handler);
    if (opts.pollIntervalMs) this.intervalMs = Math.min(this.intervalMs, opts.pollIntervalMs);
  }

  onApplicationBootstrap(): void {
    if (this.handlers.length > 0) this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Wakes the loop now (e.g. a test or a local producer that just wrote events). */
  poke(): void {
    if (!this.running && !this.stopped) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.loop().finally(() => {
        this.running = null;
      });
    }, ms);
  }

  private async loop(): Promise<void> {
    let more = false;
    try {
      more = (await this.drainOnce()) === BATCH;
      // New events written by handlers (alert.firing) are worth a second pass right away.
      if (!more) more = (await this.drainOnce()) > 0;
    } catch (e) {
      this.log.warn(`outbox pass failed: ${(e as Error).message}`);
    }
    this.schedule(more ? 0 : this.intervalMs);
  }

  /** One claimed batch; returns how many events it processed. */
  async drainOnce(): Promise<number> {
    const after: (() => Promise<void>)[] = [];
    const count = await this.prisma.$transaction(
      async (db) => {
        const events = await db.$queryRaw<DomainEvent[]>`
          SELECT * FROM "DomainEvent" WHERE "processedAt" IS NULL
          ORDER BY "createdAt", "id" LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`;
        if (events.length === 0) return 0;
        for (const h of this.handlers) {
          const then = await h.handle(db, events);
          if (then) after.push(then);
        }
        await db.domainEvent.updateMany({
          where: { id: { in: events.map((e) => e.id) } },
          data: { processedAt: new Date() },
        });
        return events.length;
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
    for (const fn of after) {
      await fn().catch((e: Error) => this.log.warn(`outbox follow-up failed: ${e.message}`));
    }
    return count;
  }
}

/** Import into worker modules whose handlers register with the consumer; one consumer per process. */
@Module({ providers: [OutboxConsumer], exports: [OutboxConsumer] })
export class OutboxModule {}
