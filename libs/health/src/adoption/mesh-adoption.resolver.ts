import { Args, Query, Resolver } from '@nestjs/graphql';
import { Allow, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { Role } from '@meshfleet/db';
import { ClusterAdoptionPlanType, PlanMeshAdoptionInput } from '../dto/mesh-adoption.types';
import { MeshAdoptionService } from './mesh-adoption.service';

@Resolver()
export class MeshAdoptionResolver {
  constructor(private readonly adoption: MeshAdoptionService) {}

  @Query(() => [ClusterAdoptionPlanType], {
    description:
      'Which workloads meshing would enrol, which not and why, and the restart batches; writes nothing. ' +
      'Made from each cluster’s last report (see generatedAt)',
  })
  @Allow(Role.VIEWER)
  planMeshAdoption(
    @CurrentPrincipal() p: Principal,
    @Args('input', { type: () => PlanMeshAdoptionInput }) input: PlanMeshAdoptionInput,
  ): Promise<ClusterAdoptionPlanType[]> {
    return this.adoption.plan(p.organizationId, input) as unknown as Promise<ClusterAdoptionPlanType[]>;
  }
}
