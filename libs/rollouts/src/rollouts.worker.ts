import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import { RedisService } from '@meshfleet/queue';
import { RolloutsOrchestrator } from './rollouts.orchestrator';

const QUEUE = 'rollouts';
const TICK_EVERY_MS = 2_000;

/** Worker side: a BullMQ job scheduler ticks every active rollout; ticks are idempotent. */
@Injectable()
export class RolloutsWorker implements OnModuleInit, OnModuleDestroy {
  private queue: Queue | null = null;
  private worker: Worker | null = null;

  constructor(
    private readonly redis: RedisService,
    private readonly orchestrator: RolloutsOrchestrator,
  ) {}

  async onModuleInit(): Promise<void> {
    const prefix = this.redis.key('bull');
    this.queue = new Queue(QUEUE, {
      connection: this.redis.create('rollouts-queue', { maxRetriesPerRequest: null }),
      prefix,
    });
    this.worker = new Worker(QUEUE, () => this.orchestrator.tickAll(), {
      connection: this.redis.create('rollouts-worker', { maxRetriesPerRequest: null }),
      prefix,
      concurrency: 1,
    });
    await this.queue.upsertJobScheduler(
      'tick-rollouts',
      { every: TICK_EVERY_MS },
      { name: 'tick', data: {}, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
    await this.queue?.close();
  }
}
