import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@meshfleet/config';
import { DbModule, PrismaService } from '@meshfleet/db';
import { RedisModule, RedisService } from '@meshfleet/redis';
import {
  HealthServer,
  ObservabilityModule,
  READINESS_CHECKS,
  ReadinessCheck,
} from '@meshfleet/observability';
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
      providers: [
        { provide: HealthServer, useValue: health },
        {
          provide: READINESS_CHECKS,
          inject: [PrismaService, RedisService],
          useFactory: (prisma: PrismaService, redis: RedisService): ReadinessCheck[] => [
            { name: 'postgres', check: () => prisma.ping() },
            {
              name: 'redis',
              check: async () => {
                // A command would wait in ioredis' offline queue; the connection state says it at once.
                if (redis.client.status !== 'ready')
                  throw new Error(`Redis connection is ${redis.client.status}`);
                await redis.ping();
              },
            },
          ],
        },
        WorkerReadiness,
      ],
    };
  }
}
