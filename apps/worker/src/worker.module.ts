import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@meshfleet/config';
import { DbModule } from '@meshfleet/db';
import { RedisModule } from '@meshfleet/redis';
import { HealthServer, ObservabilityModule } from '@meshfleet/observability';
import { AgentLivenessModule } from '@meshfleet/agent-gateway';
import { OperationsWorkerModule } from '@meshfleet/operations';
import { RolloutsWorkerModule } from '@meshfleet/rollouts';
import { AuthModule } from '@meshfleet/auth';
import { AuditModule } from '@meshfleet/audit';
import { AlertsWorkerModule } from '@meshfleet/alerts';
import { WebhooksWorkerModule } from '@meshfleet/webhooks';
import { WorkerReadiness } from './worker-readiness';

/** The worker process: BullMQ processors and periodic sweeps (feature modules add theirs here). */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, health: HealthServer): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        DbModule,
        RedisModule,
        ObservabilityModule,
        AuditModule,
        AgentLivenessModule,
        OperationsWorkerModule,
        AlertsWorkerModule,
        WebhooksWorkerModule,
        AuthModule,
        RolloutsWorkerModule,
      ],
      providers: [{ provide: HealthServer, useValue: health }, WorkerReadiness],
    };
  }
}
