import { Module } from '@nestjs/common';
import { ClustersModule } from '@meshfleet/clusters';
import { HealthIngestService } from './health-ingest.service';
import { HealthRepository } from './health.repository';
import { ClusterHealthResolver } from './health.resolver';
import { FleetSummaryRepository } from './fleet-summary.repository';
import { FleetSummaryService } from './fleet-summary.service';

@Module({
  imports: [ClustersModule],
  providers: [
    HealthRepository,
    HealthIngestService,
    ClusterHealthResolver,
    FleetSummaryRepository,
    FleetSummaryService,
  ],
  exports: [HealthIngestService, HealthRepository],
})
export class HealthModule {}

/** Ingestion and retention only (the worker has no GraphQL). */
@Module({
  providers: [HealthRepository, HealthIngestService],
  exports: [HealthIngestService, HealthRepository],
})
export class HealthStoreModule {}
