import { Module } from '@nestjs/common';
import { OutboxModule } from '@meshfleet/events';
import { WebhookDeliveryProcessor } from './webhook-delivery.processor';
import { WebhookFanout } from './webhook-fanout';
import { WebhooksQueue } from './webhooks.queue';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksResolver } from './webhooks.resolver';
import { WebhooksService } from './webhooks.service';
import { WebhooksWorker } from './webhooks.worker';

/** API side: endpoint management, delivery log, redeliver and test. */
@Module({ providers: [WebhooksRepository, WebhooksQueue, WebhooksService, WebhooksResolver] })
export class WebhooksModule {}

/** Worker side: outbox fan-out and the delivery queue. */
@Module({
  imports: [OutboxModule],
  providers: [WebhooksRepository, WebhooksQueue, WebhookFanout, WebhookDeliveryProcessor, WebhooksWorker],
})
export class WebhooksWorkerModule {}
