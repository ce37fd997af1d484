import { Module } from '@nestjs/common';
import { ClustersRepository } from './clusters.repository';
import { ClustersResolver } from './clusters.resolver';
import { ClustersService } from './clusters.service';

@Module({
  providers: [ClustersRepository, ClustersService, ClustersResolver],
  exports: [ClustersService, ClustersRepository],
})
export class ClustersModule {}
