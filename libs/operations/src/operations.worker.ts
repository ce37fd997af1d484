import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Worker } from 'bullmq';
import { OperationStatus } from '@meshfleet/db';
import { MetricsService, QueueMonitor, traceJob } from '@meshfleet/observability';
import { RedisService } from '@meshfleet/redis';
import { OPERATION_JOBS, OPERATIONS_QUEUE, OperationsQueue } from './operations.queue';
import { OperationsOrchestrator } from './operations.orchestrator';
import { OperationsRepository } from './operations.repository';

const RECONCILE_EVERY_MS = 5_000;

/** Worker side: BullMQ processor for dispatch jobs plus the periodic reconciler. */
@Injectable()
export class OperationsWorker implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(OperationsWorker.name);
  private worker: Worker | null = null;

  constructor(
    private readonly redis: RedisService,
    private readonly queue: OperationsQueue,
    private readonly orchestrator: OperationsOrchestrator,
    private readonly monitor: QueueMonitor,
    repo: OperationsRepository,
    metrics: MetricsService,
  ) {
    // Read from Postgres when scraped: one series per deployment, however many API replicas.
    metrics.gauge({
      name: 'meshfleet_operations',
      help: 'Operations by status, from Postgres (every organization)',
      labelNames: ['status'],
      async collect(g) {
        const counts = await repo.countByStatus();
        for (const status of Object.values(OperationStatus)) g.set({ status }, counts.get(status) ?? 0);
      },
    });
  }

  async onModuleInit(): Promise<void> {
    this.worker = new Worker(
      OPERATIONS_QUEUE,
      (job) =>
        traceJob(OPERATIONS_QUEUE, job, async () => {
          const j = OPERATION_JOBS.parse(job);
          if (j.name === 'dispatch') await this.orchestrator.dispatch(j.data.operationId);
          else await this.orchestrator.reconcile((id) => this.queue.dispatch(id));
        }),
      {
        connection: this.redis.create('operations-worker', { maxRetriesPerRequest: null }),
        prefix: this.redis.key('bull'),
        concurrency: 16, // dispatch jobs wait on Postgres, not CPU: a rollout wave enqueues ~100 at once
      },
    );
    this.worker.on('failed', (job, err) =>
      this.log.warn(`job ${job?.name} ${job?.id} failed: ${err.message}`),
    );
    this.monitor.watch(this.queue.instance, this.worker, OPERATION_JOBS.names);
    await OPERATION_JOBS.schedule(
      this.queue.instance,
      'reconcile-operations',
      { every: RECONCILE_EVERY_MS },
      { name: 'reconcile', data: {} },
    );
    // A first pass at start-up picks up whatever a previous worker (or a flushed Redis) left behind.
    await this.orchestrator.reconcile((id) => this.queue.dispatch(id));
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
  }
}
