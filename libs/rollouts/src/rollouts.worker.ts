import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import { OPERATION_UPDATED } from '@meshfleet/operations';
import { QueueMonitor, traceJob } from '@meshfleet/observability';
import { LiveUpdates, RedisService } from '@meshfleet/redis';
import { ROLLOUT_JOBS } from './rollouts.jobs';
import { RolloutsOrchestrator } from './rollouts.orchestrator';
import { ROLLOUT_UPDATED } from './rollouts.service';

const QUEUE = ROLLOUT_JOBS.queue;
const TICK_EVERY_MS = 2_000;
/**
 * Kicks from events closer together than this share one tick: a wave's results are recorded in
 * a few batches, each published at once. Longer only delays the tick that sees the wave's last.
 */
export const KICK_GAP_MS = 25;
/** A health gate's timer fires this late: the tick judges against its own clock read after it. */
const GATE_SLACK_MS = 2;
const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);
type Update = { status?: string; byWorker?: boolean };

/**
 * Worker side: a BullMQ job scheduler ticks every active rollout every 2 s as the safety net, and
 * a tick also runs as soon as something it waits for happens: an operation or a rollout changed
 * (live updates over Redis) or a health gate ends. Ticks are idempotent and run one at a time in
 * this process; kicks arriving during a tick coalesce into one more tick.
 */
@Injectable()
export class RolloutsWorker implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(RolloutsWorker.name);
  private queue: Queue | null = null;
  private worker: Worker | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private gateTimer: NodeJS.Timeout | null = null;
  private lastStart = 0;
  /** The gap the next tick keeps from the last one: the smallest any waiting kick asked for. */
  private gap = KICK_GAP_MS;
  private readonly feeds: AsyncIterableIterator<unknown>[] = [];

  constructor(
    private readonly redis: RedisService,
    private readonly live: LiveUpdates,
    private readonly orchestrator: RolloutsOrchestrator,
    private readonly monitor: QueueMonitor,
  ) {}

  async onModuleInit(): Promise<void> {
    const prefix = this.redis.key('bull');
    this.queue = new Queue(QUEUE, {
      connection: this.redis.create('rollouts-queue', { maxRetriesPerRequest: null }),
      prefix,
    });
    this.worker = new Worker(
      QUEUE,
      (job) =>
        traceJob(QUEUE, job, async () => {
          ROLLOUT_JOBS.parse(job);
          await this.kick();
        }),
      {
        connection: this.redis.create('rollouts-worker', { maxRetriesPerRequest: null }),
        prefix,
        concurrency: 1,
      },
    );
    this.monitor.watch(this.queue, this.worker, ROLLOUT_JOBS.names);
    await ROLLOUT_JOBS.schedule(
      this.queue,
      'tick-rollouts',
      { every: TICK_EVERY_MS },
      { name: 'tick', data: {}, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
    // What a tick waits for: an operation ending, or a user starting/resuming/approving a rollout.
    this.follow(OPERATION_UPDATED, (u) => FINISHED.has(u.status ?? ''));
    this.follow(ROLLOUT_UPDATED, (u) => !u.byWorker);
  }

  /**
   * Ticks now, or once more right after the tick in progress. `gapMs`: how long after the last
   * tick's start this one may run at the earliest (0 for a gate's end: nothing to coalesce).
   */
  kick(gapMs = KICK_GAP_MS): Promise<void> {
    this.gap = Math.min(this.gap, gapMs);
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        const gap = this.gap;
        this.gap = KICK_GAP_MS;
        await sleep(this.lastStart + gap - Date.now());
        this.lastStart = Date.now();
        const next = await this.orchestrator.tickAll();
        this.wakeAt(next);
      } while (this.again && !this.closed);
    })().finally(() => (this.running = null));
    return this.running;
  }

  private wakeAt(at: Date | null): void {
    if (this.gateTimer) clearTimeout(this.gateTimer);
    this.gateTimer = null;
    if (!at || this.closed) return;
    const ms = Math.max(0, at.getTime() - Date.now()) + GATE_SLACK_MS;
    if (ms > TICK_EVERY_MS) return; // the scheduled tick comes first
    this.gateTimer = setTimeout(() => void this.kick(0).catch(() => undefined), ms);
    this.gateTimer.unref();
  }

  private follow(topic: string, wanted: (u: Update) => boolean): void {
    const feed = this.live.iterator<Update>(topic);
    this.feeds.push(feed);
    void (async () => {
      for await (const u of feed) {
        if (this.closed) break;
        if (!wanted(u ?? {})) continue;
        void this.kick().catch((e: unknown) =>
          this.log.warn(`rollout tick failed: ${e instanceof Error ? e.message : 'error'}`),
        );
      }
    })().catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    if (this.gateTimer) clearTimeout(this.gateTimer);
    for (const feed of this.feeds) await feed.return?.().catch(() => undefined);
    await this.worker?.close();
    await this.running?.catch(() => undefined);
    await this.queue?.close();
  }
}

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());
