import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Db, DomainEvent } from '@meshfleet/db';
import { MetricsService } from '@meshfleet/observability';
import { OutboxRepository } from './outbox.repository';

/**
 * One consumer of the outbox in a worker. Returns work to run after its transaction commits
 * (e.g. enqueueing jobs for rows it inserted), or nothing.
 */
export interface OutboxHandler {
  name: string;
  handle(db: Db, events: DomainEvent[]): Promise<(() => Promise<void>) | void>;
}

const BATCH = 200;
const DEFAULT_POLL_MS = 1000;
/** How long one handler's pass may take before its transaction is rolled back (and retried). */
const HANDLER_TIMEOUT_MS = 60_000;

/**
 * Drains the DomainEvent outbox in two steps, each claiming rows with FOR UPDATE SKIP LOCKED (so
 * replicas share the work):
 * 1. hand-out: new events become one PendingDomainEvent row per registered handler (one short
 *    transaction; the event is then marked processed);
 * 2. per handler, in a loop and a transaction of its own: claim that handler's pending rows in
 *    creation order, run it, delete them.
 * A handler that fails or is slow holds up only itself: its rows stay and are retried (at least
 * once), while the others go on. Handlers may record new events; a pass that handled something
 * wakes every loop, so those are handed out and handled at once.
 */
@Injectable()
export class OutboxConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(OutboxConsumer.name);
  private readonly handlers: OutboxHandler[] = [];
  private readonly loops = new Map<string, HandlerLoop>();
  /** The poll: the safety net behind the LISTEN wake-up (OutboxWakeup), or all there is without it. */
  private intervalMs: number | null = null;
  private stopped = false;

  constructor(
    private readonly repo: OutboxRepository,
    metrics: MetricsService,
  ) {
    const handlers = this.handlers;
    metrics.gauge({
      name: 'meshfleet_outbox_lag_seconds',
      help: 'Age of the oldest outbox event each consumer has not handled yet (0 when caught up)',
      labelNames: ['consumer'],
      async collect(g) {
        if (handlers.length === 0) return;
        const lag = await repo.lagSeconds(handlers.map((h) => h.name));
        for (const [consumer, seconds] of lag) g.set({ consumer }, seconds);
      },
    });
  }

  register(handler: OutboxHandler, opts: { pollIntervalMs?: number } = {}): void {
    if (this.handlers.some((h) => h.name === handler.name))
      throw new Error(`outbox handler ${handler.name} is registered twice`);
    this.handlers.push(handler);
    if (opts.pollIntervalMs) this.intervalMs = Math.min(this.intervalMs ?? Infinity, opts.pollIntervalMs);
  }

  /** The shortest poll interval a handler asked for (1 s when none did). */
  get pollIntervalMs(): number {
    return this.intervalMs ?? DEFAULT_POLL_MS;
  }

  onApplicationBootstrap(): void {
    for (const h of this.handlers) {
      const loop: HandlerLoop = { timer: null, running: null, again: false };
      this.loops.set(h.name, loop);
      this.schedule(h, loop, 0);
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    for (const loop of this.loops.values()) if (loop.timer) clearTimeout(loop.timer);
    await Promise.all([...this.loops.values()].map((l) => l.running));
  }

  /** Wakes every handler's loop now (e.g. a test or a local producer that just wrote events). */
  poke(): void {
    for (const h of this.handlers) {
      const loop = this.loops.get(h.name);
      if (!loop || this.stopped) continue;
      if (loop.running) loop.again = true;
      else this.schedule(h, loop, 0);
    }
  }

  private schedule(h: OutboxHandler, loop: HandlerLoop, ms: number): void {
    if (this.stopped) return;
    if (loop.timer) clearTimeout(loop.timer);
    loop.timer = setTimeout(() => {
      loop.timer = null;
      loop.running = this.pass(h, loop).finally(() => {
        loop.running = null;
      });
    }, ms);
  }

  private async pass(h: OutboxHandler, loop: HandlerLoop): Promise<void> {
    let handled = 0;
    let failed = false;
    loop.again = false;
    try {
      const handedOut = await this.handOut();
      handled = await this.handleOnce(h);
      if (handedOut === BATCH) loop.again = true;
    } catch (e) {
      failed = true;
      this.log.warn(`outbox handler ${h.name} failed: ${(e as Error).message}`);
    }
    // What it handled may have recorded events (alert.firing) that other handlers want now.
    if (handled > 0) this.poke();
    // A failure waits for the interval rather than retrying in a tight loop.
    this.schedule(h, loop, !failed && (handled > 0 || loop.again) ? 0 : this.pollIntervalMs);
  }

  /** Hands new events to every registered handler; returns how many it handed out. */
  async handOut(): Promise<number> {
    const names = this.handlers.map((h) => h.name);
    if (!names.length) return 0;
    return this.repo.handOut(names, BATCH);
  }

  /** One claimed batch of one handler, in its own transaction; returns how many it handled. */
  async handleOnce(h: OutboxHandler): Promise<number> {
    const { count, followUp } = await this.repo.transaction(
      async (db) => {
        const ids = await this.repo.claimPending(db, h.name, BATCH);
        if (ids.length === 0) return { count: 0, followUp: undefined };
        const after = await h.handle(db, await this.repo.events(db, ids));
        await this.repo.releasePending(db, h.name, ids);
        return { count: ids.length, followUp: after ?? undefined };
      },
      { timeout: HANDLER_TIMEOUT_MS, maxWait: 10_000 },
    );
    if (followUp)
      await followUp().catch((e: Error) =>
        this.log.warn(`outbox follow-up of ${h.name} failed: ${e.message}`),
      );
    return count;
  }

  /**
   * Hands out and handles everything pending now, every handler once per round, until nothing is
   * left; returns how many events were handed out. For tests and scripts (the loops do this on
   * their own).
   */
  async drainOnce(): Promise<number> {
    const handedOut = await this.handOut();
    for (const h of this.handlers) await this.handleOnce(h);
    return handedOut;
  }
}

interface HandlerLoop {
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
  again: boolean;
}
