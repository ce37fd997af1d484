import { Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { Cluster, ClusterHealth } from '@meshfleet/db';
import { ClusterType } from '@meshfleet/clusters';
import { GitopsSourceType } from '../dto/gitops-source.types';
import { HealthRepository } from '../health.repository';
import { gitopsSourceView } from './gitops-source.view';

type Ctx = { healthCache?: Map<string, Promise<ClusterHealth | null>> };

@Resolver(() => ClusterType)
export class ClusterGitopsSourceResolver {
  constructor(private readonly repo: HealthRepository) {}

  @ResolveField(() => GitopsSourceType, {
    nullable: true,
    description:
      "The Argo CD Application / Flux HelmRelease owning the control plane, found from the GitOps marks on Linkerd's objects, " +
      'with its sync/health or Ready status from the last report. Null without such marks (or from an older agent)',
  })
  async gitopsSource(@Parent() cluster: ClusterType, @Context() ctx: Ctx): Promise<GitopsSourceType | null> {
    // Shares the per-request health read with the other health fields.
    ctx.healthCache ??= new Map();
    let p = ctx.healthCache.get(cluster.id);
    if (!p) {
      p = this.repo.latest((cluster as unknown as Cluster).organizationId, cluster.id);
      ctx.healthCache.set(cluster.id, p);
    }
    return gitopsSourceView(await p);
  }
}
