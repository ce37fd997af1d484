// Cluster.resources: the proxy and control-plane usage of the cluster's last report.
import { Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { Cluster, ClusterHealth } from '@meshfleet/db';
import { ClusterType } from '@meshfleet/clusters';
import { HealthRepository } from '../health.repository';
import { ClusterResourcesType } from './resource-usage.types';
import { resourcesView } from './resources.view';

type Ctx = { healthCache?: Map<string, Promise<ClusterHealth | null>> };

@Resolver(() => ClusterType)
export class ClusterResourcesResolver {
  constructor(private readonly repo: HealthRepository) {}

  @ResolveField(() => ClusterResourcesType, {
    nullable: true,
    description:
      'Proxy and control-plane CPU and memory from the last report (metrics-server, else the proxies’ own metrics); ' +
      'null before a report carried them',
  })
  async resources(@Parent() cluster: ClusterType, @Context() ctx: Ctx): Promise<ClusterResourcesType | null> {
    // Shares the per-request read of the health resolver (same context key).
    ctx.healthCache ??= new Map();
    let p = ctx.healthCache.get(cluster.id);
    if (!p) {
      p = this.repo.latest((cluster as unknown as Cluster).organizationId, cluster.id);
      ctx.healthCache.set(cluster.id, p);
    }
    return resourcesView(await p);
  }
}
