import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { pageSize } from '@meshfleet/core';
import { Actor, Allow, CurrentActor, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { CloudProvider, Cluster, ClusterMode, GitopsTool, ManagementMode, Role } from '@meshfleet/db';
import { registerNodeLoader, toConnection } from '@meshfleet/graphql';
import { ClustersService, Enrollment } from './clusters.service';
import {
  ClusterConnection,
  ClusterFilter,
  ClusterType,
  RegisterClusterInput,
  RegisterClusterPayload,
  UpdateClusterInput,
} from './dto/cluster.types';

const CLOUDS: CloudProvider[] = [CloudProvider.AKS, CloudProvider.EKS, CloudProvider.GKE];

/** Registered as one cloud while the nodes say another: worth a look, not an error. */
export function providerWarning(c: Pick<Cluster, 'provider' | 'detectedProvider'>): string | null {
  const d = c.detectedProvider;
  if (!d || !CLOUDS.includes(d) || d === c.provider) return null;
  return `registered as ${c.provider}, but the nodes' spec.providerID says ${d}`;
}

export const toClusterType = (c: Cluster): ClusterType => ({
  ...c,
  labels: (c.labels ?? {}) as Record<string, string>,
  gitopsEvidence: Array.isArray(c.gitopsEvidence) ? (c.gitopsEvidence as string[]) : [],
});

const toPayload = (e: Enrollment): RegisterClusterPayload => ({ ...e, cluster: toClusterType(e.cluster) });

@Resolver(() => ClusterType)
export class ClustersResolver {
  constructor(private readonly service: ClustersService) {
    registerNodeLoader('Cluster', async (c, id) =>
      toClusterType(await this.service.get(c.organizationId, id)),
    );
  }

  @ResolveField(() => String, {
    nullable: true,
    description: 'Set when the registered provider and the detected one disagree',
  })
  providerWarning(@Parent() c: ClusterType): string | null {
    return providerWarning(c);
  }

  @Query(() => ClusterType, { description: 'One cluster of your organization' })
  @Allow(Role.VIEWER)
  async cluster(
    @CurrentPrincipal() p: Principal,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<ClusterType> {
    return toClusterType(await this.service.get(p.organizationId, id));
  }

  @Query(() => ClusterConnection, { description: 'Clusters, ordered by name' })
  @Allow(Role.VIEWER)
  async clusters(
    @CurrentPrincipal() p: Principal,
    @Args('filter', { type: () => ClusterFilter, nullable: true }) filter: ClusterFilter | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<ClusterConnection> {
    const page = await this.service.list(p.organizationId, filter ?? {}, pageSize(first), after);
    return toConnection(page, toClusterType);
  }

  @Mutation(() => RegisterClusterPayload, {
    description: 'Registers a cluster and returns a one-time bootstrap token and the agent manifest',
  })
  @Allow(Role.EDITOR)
  async registerCluster(
    @CurrentActor() actor: Actor,
    @Args('input') input: RegisterClusterInput,
  ): Promise<RegisterClusterPayload> {
    return toPayload(await this.service.register(actor, input));
  }

  @Mutation(() => ClusterType)
  @Allow(Role.EDITOR)
  async updateCluster(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
    @Args('input') input: UpdateClusterInput,
  ): Promise<ClusterType> {
    return toClusterType(await this.service.update(actor, id, input));
  }

  @Mutation(() => ClusterType, {
    description: "Stops managing the cluster and revokes its agent's credentials",
  })
  @Allow(Role.EDITOR)
  async deregisterCluster(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<ClusterType> {
    return toClusterType(await this.service.deregister(actor, id));
  }

  @Mutation(() => RegisterClusterPayload, {
    description:
      "Changes the cluster's mode. Meshfleet applies it at once; the agent's RBAC changes only when the returned manifest (a fresh bootstrap token) is applied in the cluster",
  })
  @Allow(Role.ADMIN)
  async setClusterMode(
    @CurrentActor() actor: Actor,
    @Args('clusterId', { type: () => ID }) clusterId: string,
    @Args('mode', { type: () => ClusterMode }) mode: ClusterMode,
  ): Promise<RegisterClusterPayload> {
    return toPayload(await this.service.setMode(actor, clusterId, mode));
  }

  @Mutation(() => ClusterType, {
    description:
      'Who applies Linkerd on the cluster. GITOPS (with the tool) makes Meshfleet refuse lifecycle operations with GITOPS_MANAGED and rollouts skip the cluster; the choice wins over detection',
  })
  @Allow(Role.ADMIN)
  async setClusterManagementMode(
    @CurrentActor() actor: Actor,
    @Args('clusterId', { type: () => ID }) clusterId: string,
    @Args('mode', { type: () => ManagementMode }) mode: ManagementMode,
    @Args('tool', { type: () => GitopsTool, nullable: true, description: 'Required with GITOPS' })
    tool: GitopsTool | null,
  ): Promise<ClusterType> {
    return toClusterType(await this.service.setManagementMode(actor, clusterId, mode, tool ?? null));
  }

  @Mutation(() => RegisterClusterPayload, {
    description: 'A new bootstrap token and manifest, e.g. to redeploy the agent',
  })
  @Allow(Role.EDITOR)
  async rotateBootstrapToken(
    @CurrentActor() actor: Actor,
    @Args('clusterId', { type: () => ID }) clusterId: string,
  ): Promise<RegisterClusterPayload> {
    return toPayload(await this.service.rotateBootstrapToken(actor, clusterId));
  }
}
