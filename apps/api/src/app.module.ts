import { DynamicModule, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { DomainErrorFilter, TextSafetyPipe } from '@meshfleet/graphql';
import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import type { Logger } from 'pino';
import { AppConfig, ConfigModule } from '@meshfleet/config';
import { DbModule, PrismaService } from '@meshfleet/db';
import { RedisModule, RedisService } from '@meshfleet/redis';
import {
  HealthController,
  ObservabilityModule,
  READINESS_CHECKS,
  ReadinessCheck,
} from '@meshfleet/observability';
import {
  ApiKeyAuthenticator,
  authenticateBearer,
  AuthModule,
  bearerTokenOf,
  JwtAuthenticator,
} from '@meshfleet/auth';
import { AuditModule } from '@meshfleet/audit';
import { TenancyModule } from '@meshfleet/tenancy';
import { ClustersModule } from '@meshfleet/clusters';
import { HealthModule } from '@meshfleet/health';
import { CertificatesModule } from '@meshfleet/certificates';
import { OperationsModule } from '@meshfleet/operations';
import { RolloutsModule } from '@meshfleet/rollouts';
import { AgentGatewayModule } from '@meshfleet/agent-gateway';
import { AlertsModule } from '@meshfleet/alerts';
import { WebhooksModule } from '@meshfleet/webhooks';
import { BootstrapAdmin } from './bootstrap-admin';
import { NodeResolver } from './node.resolver';
import { EncryptionKeyCheck } from './encryption-key-check';
import { graphqlOptions } from './graphql.options';
import { LiveSessions, LiveSessionsModule } from './live-sessions';

export const LOGGER = Symbol('LOGGER');

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DbModule,
        RedisModule,
        ObservabilityModule,
        AuthModule,
        AuditModule,
        TenancyModule,
        ClustersModule,
        HealthModule,
        CertificatesModule,
        OperationsModule,
        RolloutsModule,
        AgentGatewayModule,
        AlertsModule,
        WebhooksModule,
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          imports: [LiveSessionsModule],
          inject: [ApiKeyAuthenticator, JwtAuthenticator, LiveSessions],
          useFactory: (apiKeys: ApiKeyAuthenticator, jwt: JwtAuthenticator, sessions: LiveSessions) =>
            graphqlOptions(
              config,
              logger,
              async (req) => {
                const token = bearerTokenOf(req.headers['authorization']);
                if (!token) return null;
                try {
                  return await authenticateBearer(
                    apiKeys,
                    jwt,
                    token,
                    req.headers['x-meshfleet-organization'],
                  );
                } catch {
                  return null;
                }
              },
              sessions,
            ),
        }),
      ],
      controllers: [HealthController],
      providers: [
        BootstrapAdmin,
        EncryptionKeyCheck,
        NodeResolver,
        { provide: APP_FILTER, useClass: DomainErrorFilter },
        { provide: APP_PIPE, useClass: TextSafetyPipe },
        { provide: LOGGER, useValue: logger },

        {
          provide: READINESS_CHECKS,
          inject: [PrismaService, RedisService],
          useFactory: (prisma: PrismaService, redis: RedisService): ReadinessCheck[] => [
            { name: 'postgres', check: () => prisma.ping() },
            { name: 'redis', check: () => redis.ping() },
          ],
        },
      ],
    };
  }
}
