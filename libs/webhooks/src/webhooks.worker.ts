import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Worker } from 'bullmq';
import { OutboxConsumer } from '@meshfleet/events';
import { QueueMonitor, traceJob } from '@meshfleet/observability';
import { RedisService } from '@meshfleet/redis';
import { WebhookDeliveryProcessor } from './webhook-delivery.processor';
import { WebhookFanout } from './webhook-fanout';
import { WEBHOOK_JOBS, WEBHOOKS_QUEUE, WebhooksQueue } from './webhooks.queue';

const RECONCILE_EVERY_MS = 30_000;

/** Worker side: the outbox fan-out, delivery jobs, and the reconciler for lost jobs. */
@Injectable()
export class WebhooksWorker implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(WebhooksWorker.name);
  private worker: Worker | null = null;

  constructor(
    private readonly redis: RedisService,
    private readonly queue: WebhooksQueue,
    private readonly outbox: OutboxConsumer,
    private readonly fanout: WebhookFanout,
    private readonly processor: WebhookDeliveryProcessor,
    private readonly monitor: QueueMonitor,
  ) {}

  async onModuleInit(): Promise<void> {
    this.outbox.register({ name: 'webhooks', handle: (db, events) => this.fanout.onEvents(db, events) });
    this.worker = new Worker(
      WEBHOOKS_QUEUE,
      (job) =>
        traceJob(WEBHOOKS_QUEUE, job, async () => {
          const j = WEBHOOK_JOBS.parse(job);
          if (j.name === 'deliver') await this.processor.attempt(j.data.deliveryId);
          else await this.processor.reconcile();
        }),
      {
        connection: this.redis.create('webhooks-worker', { maxRetriesPerRequest: null }),
        prefix: this.redis.key('bull'),
        // Deliveries mostly wait on the network.
        concurrency: 32,
      },
    );
    this.worker.on('failed', (job, err) =>
      this.log.warn(`job ${job?.name} ${job?.id} failed: ${err.message}`),
    );
    this.monitor.watch(this.queue.instance, this.worker, WEBHOOK_JOBS.names);
    await WEBHOOK_JOBS.schedule(
      this.queue.instance,
      'reconcile-webhooks',
      { every: RECONCILE_EVERY_MS },
      { name: 'reconcile', data: {} },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
  }
}
