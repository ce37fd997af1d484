import { Module } from '@nestjs/common';
import { ClustersModule } from '@meshfleet/clusters';
import { CertificatesModule } from '@meshfleet/certificates';
import { HealthStoreModule } from '@meshfleet/health';
import { AgentGatewayModule, AgentLivenessModule } from '@meshfleet/agent-gateway';
import { AgentLifecycleRoutes } from './agent-lifecycle.routes';
import { AgentLifecycleService } from './agent-lifecycle.service';
import { CatalogRepository } from './catalog/catalog.repository';
import { CatalogSeeder } from './catalog/catalog.seeder';
import { CatalogService } from './catalog/catalog.service';
import { OperationsOrchestrator } from './operations.orchestrator';
import { OperationsQueue } from './operations.queue';
import { OperationsRepository } from './operations.repository';
import { OperationsResolver } from './operations.resolver';
import { OperationsService } from './operations.service';
import { DiagnosticsResolver } from './diagnostics.resolver';
import { DiagnosticsService } from './diagnostics.service';
import { OperationAttemptsService } from './operation-attempts.service';
import { OperationsWorker } from './operations.worker';
import { GitopsExportRepository } from './gitops/gitops-export.repository';
import { GitopsExportResolver } from './gitops/gitops-export.resolver';
import { GitopsExportService } from './gitops/gitops-export.service';
import { ExtensionsResolver } from './extensions/extensions.resolver';

const CORE = [
  CatalogRepository,
  CatalogService,
  OperationsRepository,
  OperationsQueue,
  OperationsOrchestrator,
];

/** API side: GraphQL operations, diagnostics and catalog; the agent's tasks and lifecycle endpoints. */
@Module({
  imports: [ClustersModule, CertificatesModule, HealthStoreModule, AgentGatewayModule],
  providers: [
    ...CORE,
    OperationsService,
    OperationsResolver,
    ExtensionsResolver,
    AgentLifecycleService,
    AgentLifecycleRoutes,
    OperationAttemptsService,
    DiagnosticsService,
    DiagnosticsResolver,
    CatalogSeeder,
    GitopsExportRepository,
    GitopsExportService,
    GitopsExportResolver,
  ],
  exports: [OperationsService, OperationsRepository, CatalogService],
})
export class OperationsModule {}

/** Worker side: dispatch jobs and the reconciler; OperationsService for rollouts. */
@Module({
  imports: [CertificatesModule, AgentLivenessModule, ClustersModule, HealthStoreModule],
  providers: [...CORE, OperationsWorker, OperationsService],
  exports: [OperationsService, OperationsRepository, CatalogService],
})
export class OperationsWorkerModule {}

/** The release catalog alone (operator CLI). */
@Module({ providers: [CatalogRepository, CatalogService], exports: [CatalogService] })
export class CatalogModule {}
