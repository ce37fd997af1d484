import { Module } from '@nestjs/common';
import { ClustersModule } from '@meshfleet/clusters';
import { OperationsModule, OperationsWorkerModule } from '@meshfleet/operations';
import { RolloutAbort } from './rollout-abort';
import { RolloutRollback } from './rollout-rollback';
import { RolloutWaveStep } from './rollout-wave.step';
import { RolloutsOrchestrator } from './rollouts.orchestrator';
import { RolloutsRepository } from './rollouts.repository';
import { RolloutsResolver } from './rollouts.resolver';
import { RolloutsService } from './rollouts.service';
import { RolloutsWorker } from './rollouts.worker';

@Module({
  imports: [ClustersModule, OperationsModule],
  providers: [RolloutsRepository, RolloutsService, RolloutsResolver],
})
export class RolloutsModule {}

@Module({
  imports: [ClustersModule, OperationsWorkerModule],
  providers: [
    RolloutsRepository,
    RolloutsService,
    RolloutWaveStep,
    RolloutAbort,
    RolloutRollback,
    RolloutsOrchestrator,
    RolloutsWorker,
  ],
  exports: [RolloutsOrchestrator],
})
export class RolloutsWorkerModule {}
