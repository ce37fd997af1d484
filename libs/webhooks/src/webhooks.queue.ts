import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { z } from 'zod';
import { JobContract, RedisService } from '@meshfleet/redis';

export const WEBHOOKS_QUEUE = 'webhooks';

/** Every job of the delivery queue; unknown keys are dropped so older workers read newer jobs. */
export const WEBHOOK_JOBS = new JobContract(WEBHOOKS_QUEUE, {
  deliver: z.object({ deliveryId: z.string().min(1) }),
  reconcile: z.object({}),
});

/** Producer side of the delivery queue. Jobs carry the delivery id; the handler re-reads it. */
@Injectable()
export class WebhooksQueue implements OnModuleDestroy {
  private queue: Queue | null = null;

  constructor(private readonly redis: RedisService) {}

  get instance(): Queue {
    this.queue ??= new Queue(WEBHOOKS_QUEUE, {
      connection: this.redis.create('webhooks-queue', { maxRetriesPerRequest: null }),
      prefix: this.redis.key('bull'),
      // Retries are ours (the schedule in Postgres), not BullMQ's.
      defaultJobOptions: { removeOnComplete: 1000, removeOnFail: 5000, attempts: 1 },
    });
    return this.queue;
  }

  /** Deterministic per attempt: enqueueing the same attempt twice runs it once. */
  async deliver(deliveryId: string, attemptNo: number, delayMs = 0): Promise<void> {
    await WEBHOOK_JOBS.add(
      this.instance,
      'deliver',
      { deliveryId },
      { jobId: `deliver-${deliveryId}-${attemptNo}`, delay: Math.max(0, delayMs) },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue?.close();
  }
}
