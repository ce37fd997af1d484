import { Args, ID, Int, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { distinctUpdates, LiveUpdates, ReadUpdate } from '@meshfleet/redis';
import { OPERATION_UPDATED } from './operations.orchestrator';
import { pageSize, ValidationError } from '@meshfleet/core';
import { Actor, Allow, CurrentActor, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { OperationKind, Role } from '@meshfleet/db';
import { registerNodeLoader, toConnection } from '@meshfleet/graphql';
import { CatalogEntry, CatalogService } from './catalog/catalog.service';
import { OperationsService, type OperationParams } from './operations.service';
import { OperationWithSteps } from './operations.repository';
import {
  ImportLinkerdReleaseInput,
  InstallLinkerdInput,
  LinkerdReleaseType,
  MeshNamespacesInput,
  OperationConnection,
  ReleaseSource,
  OperationFilterInput,
  OperationStepType,
  OperationType,
  UpgradeLinkerdInput,
} from './dto/operation.types';

type UpdatePayload = { operationId: string; clusterId: string; organizationId: string };

export const toOperationType = (o: OperationWithSteps): OperationType => ({
  ...o,
  params: o.params as Record<string, unknown>,
  warnings: (o.params as OperationParams | null)?.warnings ?? [],
  steps: o.steps.map((s): OperationStepType => ({ ...s, message: s.message ?? '', at: new Date(s.at) })),
  error: (o.error as Record<string, unknown> | null) ?? null,
});

const toRelease = (r: CatalogEntry): LinkerdReleaseType => ({
  ...r,
  imported: r.organizationId !== null,
  source: r.organizationId !== null ? ReleaseSource.IMPORTED : ReleaseSource.SIMULATED,
  bundles: r.bundles.map((b) => ({
    variant: b.variant,
    crdsDigest: b.crdsDigest,
    controlPlaneDigest: b.controlPlaneDigest,
  })),
});

@Resolver(() => OperationType)
export class OperationsResolver {
  constructor(
    private readonly ops: OperationsService,
    private readonly catalog: CatalogService,
    private readonly live: LiveUpdates,
  ) {
    registerNodeLoader('Operation', async (c, id) =>
      toOperationType(await this.ops.get(c.organizationId, id)),
    );
  }

  @Subscription(() => OperationType, {
    description:
      'Every change of one operation, or of any operation on one cluster (graphql-ws); an update that shows the operation as the last one did is not sent again',
    filter(
      this: OperationsResolver,
      update: ReadUpdate<UpdatePayload, OperationType>,
      _args: unknown,
      ctx: { req?: { user?: Principal } },
    ) {
      const user = ctx.req?.user;
      return Boolean(user && user.organizationId === update.payload.organizationId);
    },
    async resolve(this: OperationsResolver, update: ReadUpdate<UpdatePayload, OperationType>) {
      return update.value ?? this.read(update.payload);
    },
  })
  @Allow(Role.VIEWER)
  operationUpdated(
    @Args('operationId', { type: () => ID, nullable: true }) operationId: string | null,
    @Args('clusterId', { type: () => ID, nullable: true }) clusterId: string | null,
  ): AsyncIterableIterator<ReadUpdate<UpdatePayload, OperationType>> {
    if (!operationId && !clusterId) throw new ValidationError('Give operationId or clusterId', 'operationId');
    return distinctUpdates(
      this.live.iterator<UpdatePayload>(OPERATION_UPDATED),
      (p) => (!operationId || operationId === p.operationId) && (!clusterId || clusterId === p.clusterId),
      (p) => this.read(p),
    );
  }

  private async read(p: UpdatePayload): Promise<OperationType> {
    return toOperationType(await this.ops.get(p.organizationId, p.operationId));
  }

  @Query(() => [LinkerdReleaseType], {
    description: 'The Linkerd release catalog: shipped and imported releases',
  })
  @Allow(Role.VIEWER)
  async linkerdReleases(@CurrentPrincipal() p: Principal): Promise<LinkerdReleaseType[]> {
    return (await this.catalog.list(p.organizationId)).map(toRelease);
  }

  @Mutation(() => LinkerdReleaseType, {
    description: 'Imports rendered manifests; identity material is replaced by placeholders',
  })
  @Allow(Role.ADMIN)
  async importLinkerdRelease(
    @CurrentActor() actor: Actor,
    @Args('input') input: ImportLinkerdReleaseInput,
  ): Promise<LinkerdReleaseType> {
    if (input.variant !== 'default' && input.variant !== 'ha')
      throw new ValidationError('variant must be default or ha', 'variant');
    return toRelease(
      await this.catalog.import(actor, { ...input, variant: input.variant, replace: input.replace === true }),
    );
  }

  @Query(() => OperationType)
  @Allow(Role.VIEWER)
  async operation(
    @CurrentPrincipal() p: Principal,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<OperationType> {
    return toOperationType(await this.ops.get(p.organizationId, id));
  }

  @Query(() => OperationConnection, { description: 'Operations, newest first' })
  @Allow(Role.VIEWER)
  async operations(
    @CurrentPrincipal() p: Principal,
    @Args('filter', { type: () => OperationFilterInput, nullable: true }) filter: OperationFilterInput | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<OperationConnection> {
    return toConnection(
      await this.ops.list(p.organizationId, filter ?? {}, pageSize(first), after),
      toOperationType,
    );
  }

  @Mutation(() => OperationType)
  @Allow(Role.EDITOR)
  async installLinkerd(
    @CurrentActor() actor: Actor,
    @Args('clusterId', { type: () => ID }) clusterId: string,
    @Args('input') input: InstallLinkerdInput,
  ): Promise<OperationType> {
    return toOperationType(await this.ops.install(actor, clusterId, input));
  }

  @Mutation(() => OperationType)
  @Allow(Role.EDITOR)
  async upgradeLinkerd(
    @CurrentActor() actor: Actor,
    @Args('clusterId', { type: () => ID }) clusterId: string,
    @Args('input') input: UpgradeLinkerdInput,
  ): Promise<OperationType> {
    return toOperationType(await this.ops.upgrade(actor, clusterId, input));
  }

  @Mutation(() => OperationType, {
    description: 'Refused by the agent while workloads are meshed, unless force',
  })
  @Allow(Role.EDITOR)
  async uninstallLinkerd(
    @CurrentActor() actor: Actor,
    @Args('clusterId', { type: () => ID }) clusterId: string,
    @Args('force', { type: () => Boolean, nullable: true }) force: boolean | null,
  ): Promise<OperationType> {
    return toOperationType(await this.ops.uninstall(actor, clusterId, force ?? false));
  }

  @Mutation(() => OperationType)
  @Allow(Role.EDITOR)
  async rotateIssuer(
    @CurrentActor() actor: Actor,
    @Args('clusterId', { type: () => ID }) clusterId: string,
  ): Promise<OperationType> {
    return toOperationType(await this.ops.rotateIssuer(actor, clusterId));
  }

  @Mutation(() => OperationType)
  @Allow(Role.EDITOR)
  async restartDataPlane(
    @CurrentActor() actor: Actor,
    @Args('clusterId', { type: () => ID }) clusterId: string,
    @Args('namespaces', { type: () => [String], nullable: true }) namespaces: string[] | null,
  ): Promise<OperationType> {
    return toOperationType(await this.ops.restartDataPlane(actor, clusterId, namespaces ?? []));
  }

  @Mutation(() => OperationType, {
    description:
      'Meshes namespaces (or some of their workloads): linkerd.io/inject: enabled, then restarts in batches, each Ready with an identity-reporting proxy before the next; steps annotate, batch (one per batch), rollback, postcheck',
  })
  @Allow(Role.EDITOR)
  async meshNamespaces(
    @CurrentActor() actor: Actor,
    @Args('input') input: MeshNamespacesInput,
  ): Promise<OperationType> {
    return this.meshAdoption(actor, input, OperationKind.MESH_NAMESPACES);
  }

  @Mutation(() => OperationType, {
    description:
      'The inverse of meshNamespaces: injection annotation removed, workloads restarted in batches',
  })
  @Allow(Role.EDITOR)
  async unmeshNamespaces(
    @CurrentActor() actor: Actor,
    @Args('input') input: MeshNamespacesInput,
  ): Promise<OperationType> {
    return this.meshAdoption(actor, input, OperationKind.UNMESH_NAMESPACES);
  }

  /** meshNamespaces and unmeshNamespaces: the same input and checks, inverse kinds. */
  private async meshAdoption(
    actor: Actor,
    input: MeshNamespacesInput,
    kind: typeof OperationKind.MESH_NAMESPACES | typeof OperationKind.UNMESH_NAMESPACES,
  ): Promise<OperationType> {
    return toOperationType(await this.ops.meshNamespaces(actor, input.clusterId, input, kind));
  }

  @Mutation(() => OperationType, {
    description:
      'Re-applies, with Meshfleet’s field manager, the control-plane objects Meshfleet last applied, taking every drifted field ' +
      'back (see Cluster.drift); steps precheck, reconcile, rollout, postcheck. Refused (FAILED_PRECONDITION) without Linkerd, ' +
      'without a drift check (reason DRIFT_NOT_CHECKED) or without drift (NO_DRIFT)',
  })
  @Allow(Role.EDITOR)
  async reconcileDrift(
    @CurrentActor() actor: Actor,
    @Args('clusterId', { type: () => ID }) clusterId: string,
  ): Promise<OperationType> {
    return toOperationType(await this.ops.reconcileDrift(actor, clusterId));
  }

  @Mutation(() => OperationType)
  @Allow(Role.EDITOR)
  async cancelOperation(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<OperationType> {
    return toOperationType(await this.ops.cancel(actor, id));
  }
}
