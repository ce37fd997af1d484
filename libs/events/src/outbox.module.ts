import { Module } from '@nestjs/common';
import { OutboxConsumer } from './outbox';
import { OutboxWakeup } from './outbox-listener';
import { OutboxRepository } from './outbox.repository';

/** Import into worker modules whose handlers register with the consumer; one consumer per process. */
@Module({ providers: [OutboxRepository, OutboxConsumer, OutboxWakeup], exports: [OutboxConsumer] })
export class OutboxModule {}
