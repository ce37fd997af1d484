import { Module } from '@nestjs/common';
import { ClustersModule } from '@meshfleet/clusters';
import { HealthRepository } from './health.repository';
import { ClusterHealthResolver } from './health.resolver';
import { FleetSummaryRepository } from './fleet-summary.repository';
import { FleetSummaryService } from './fleet-summary.service';
import { MeshAdoptionResolver } from './adoption/mesh-adoption.resolver';
import { MeshAdoptionService } from './adoption/mesh-adoption.service';
import { ClusterResourcesResolver } from './resources/resources.resolver';
import { ResourcesRepository } from './resources/resources.repository';
import { ResourcesService } from './resources/resources.service';
import { FleetMetricsController } from './prometheus/fleet-metrics.controller';
import { FleetMetricsRepository } from './prometheus/fleet-metrics.repository';
import { FleetMetricsService } from './prometheus/fleet-metrics.service';
import { ClusterDriftResolver } from './drift/drift.resolver';
import { ClusterGitopsSourceResolver } from './gitops/gitops-source.resolver';

@Module({
  imports: [ClustersModule],
  providers: [
    HealthRepository,
    ClusterHealthResolver,
    FleetSummaryRepository,
    FleetSummaryService,
    MeshAdoptionService,
    MeshAdoptionResolver,
    ResourcesRepository,
    ResourcesService,
    ClusterResourcesResolver,
    FleetMetricsRepository,
    FleetMetricsService,
    ClusterDriftResolver,
    ClusterGitopsSourceResolver,
  ],
  controllers: [FleetMetricsController],
  exports: [HealthRepository],
})
export class HealthModule {}

/** Stored health without GraphQL (liveness, retention, rollout gates in the worker). */
@Module({
  providers: [HealthRepository],
  exports: [HealthRepository],
})
export class HealthStoreModule {}
