import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import { RedisService } from '@meshfleet/redis';

export const OPERATIONS_QUEUE = 'operations';

export type OperationJob = { name: 'dispatch'; operationId: string } | { name: 'sync'; operationId: string };

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
    await this.instance.add('dispatch', { operationId }, { jobId: `dispatch-${operationId}` });
  }

  async dispatchMany(operationIds: string[]): Promise<void> {
    if (!operationIds.length) return;
    await this.instance.addBulk(
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
