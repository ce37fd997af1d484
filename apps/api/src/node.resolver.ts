// `node(id)`: any object with a global id (Cluster, Operation, Rollout, Alert, WebhookEndpoint,
// IdentityDomain), loaded by the feature that owns its type, scoped to the caller's organization.
import { Args, ID, Query, Resolver } from '@nestjs/graphql';
import { Allow, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { Role } from '@meshfleet/db';
import { loadNode, NodeInterface } from '@meshfleet/graphql';

@Resolver(() => NodeInterface)
export class NodeResolver {
  @Query(() => NodeInterface, {
    nullable: true,
    description:
      "The object with this id, of any type implementing Node; null when there is none in your organization (another organization's id included)",
  })
  @Allow(Role.VIEWER)
  node(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string): Promise<object | null> {
    return loadNode(p, id);
  }
}
