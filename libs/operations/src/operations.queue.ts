import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { z } from 'zod';
import { JobContract, RedisService } from '@meshfleet/redis';

export const OPERATIONS_QUEUE = 'operations';

/** Every job of the operations queue; unknown keys are dropped so older workers read newer jobs. */
export const OPERATION_JOBS = new JobContract(OPERATIONS_QUEUE, {
  dispatch: z.object({ operationId: z.string().min(1) }),
  reconcile: z.object({}),
});

/** Producer side of the operations queue. Jobs carry ids only; handlers re-read Postgres. */
@Injectable()
export class OperationsQueue implements OnModuleDestroy {
  private queue: Queue | null = null;

  constructor(private readonly redis: RedisService) {}

  get instance(): Queue {
    this.queue ??= new Queue(OPERATIONS_QUEUE, {
      connection: this.redis.create('operations-queue', { maxRetriesPerRequest: null }),
      prefix: this.redis.key('bull'),
      defaultJobOptions: {
        removeOnComplete: 1000,
        removeOnFail: 5000,
        attempts: 5,
        backoff: { type: 'exponential', delay: 500 },
      },
    });
    return this.queue;
  }

  /** Deterministic job id: enqueueing the same dispatch twice runs it once. */
  async dispatch(operationId: string): Promise<void> {
    await OPERATION_JOBS.add(
      this.instance,
      'dispatch',
      { operationId },
      { jobId: `dispatch-${operationId}` },
    );
  }

  async dispatchMany(operationIds: string[]): Promise<void> {
    await OPERATION_JOBS.addBulk(
      this.instance,
      operationIds.map((operationId) => ({
        name: 'dispatch',
        data: { operationId },
        opts: { jobId: `dispatch-${operationId}` },
      })),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue?.close();
  }
}
