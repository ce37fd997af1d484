import { Module } from '@nestjs/common';
import { ClustersModule } from '@meshfleet/clusters';
import { HealthModule, HealthStoreModule } from '@meshfleet/health';
import { AgentGatewayService } from './agent-gateway.service';
import { AgentGatewayRoutes } from './agent-gateway.routes';
import { AgentRouter } from './agent-router';
import { ConnectBatcher } from './connect.batcher';
import { CredentialCacheBridge } from './credential-cache.bridge';
import { AgentTasksService } from './agent-tasks.service';
import { AgentWakeupService } from './agent-wakeup.service';
import { EnrollmentRepository } from './enrollment.repository';
import { EnrollmentService } from './enrollment.service';
import { LivenessRepository } from './liveness.repository';
import { LivenessSweeper } from './liveness-sweeper';
import { PresenceService } from './presence.service';
import { ReportIngestBatcher } from './reports/report-ingest.batcher';
import { ReportIngestRepository } from './reports/report-ingest.repository';

const SHARED = [PresenceService, LivenessRepository, AgentWakeupService];

/** API side: the /agent/v1 router with the gateway's routes (tasks are handed to their owner). */
@Module({
  imports: [ClustersModule, HealthModule],
  providers: [
    ...SHARED,
    EnrollmentRepository,
    EnrollmentService,
    AgentGatewayService,
    AgentRouter,
    AgentGatewayRoutes,
    ConnectBatcher,
    ReportIngestRepository,
    ReportIngestBatcher,
    AgentTasksService,
    CredentialCacheBridge,
  ],
  exports: [AgentRouter, AgentTasksService, AgentWakeupService, PresenceService],
})
export class AgentGatewayModule {}

/** Worker side: the liveness sweep. */
@Module({
  imports: [HealthStoreModule],
  providers: [...SHARED, LivenessSweeper],
  exports: [LivenessSweeper, AgentWakeupService],
})
export class AgentLivenessModule {}
