import { Module } from '@nestjs/common';
import { OutboxModule } from '@meshfleet/events';
import { AlertsEvaluator } from './alerts.evaluator';
import { AlertsRepository } from './alerts.repository';
import { AlertsResolver } from './alerts.resolver';
import { AlertsService } from './alerts.service';
import { AlertsWorker } from './alerts.worker';

/** API side: rules and alerts over GraphQL. */
@Module({ providers: [AlertsRepository, AlertsService, AlertsResolver] })
export class AlertsModule {}

/** Worker side: the evaluator on the outbox and its periodic pass. */
@Module({ imports: [OutboxModule], providers: [AlertsRepository, AlertsEvaluator, AlertsWorker] })
export class AlertsWorkerModule {}
