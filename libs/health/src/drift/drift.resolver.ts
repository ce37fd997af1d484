import { Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { Cluster, ClusterHealth } from '@meshfleet/db';
import { ClusterType } from '@meshfleet/clusters';
import { ClusterDriftType } from '../dto/drift.types';
import { HealthRepository } from '../health.repository';
import { driftView } from './drift.view';

type Ctx = { healthCache?: Map<string, Promise<ClusterHealth | null>> };

@Resolver(() => ClusterType)
export class ClusterDriftResolver {
  constructor(private readonly repo: HealthRepository) {}

  @ResolveField(() => ClusterDriftType, {
    nullable: true,
    description:
      'Live control-plane objects that differ from the release Meshfleet last applied, each field with the manager that changed it. ' +
      'Null before the agent checked (no Meshfleet apply since the agent started, or an older agent)',
  })
  async drift(@Parent() cluster: ClusterType, @Context() ctx: Ctx): Promise<ClusterDriftType | null> {
    // Shares the per-request health read with the other health fields.
    ctx.healthCache ??= new Map();
    let p = ctx.healthCache.get(cluster.id);
    if (!p) {
      p = this.repo.latest((cluster as unknown as Cluster).organizationId, cluster.id);
      ctx.healthCache.set(cluster.id, p);
    }
    return driftView(await p);
  }
}
