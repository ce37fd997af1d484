import { Args, ID, Int, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { pageSize } from '@meshfleet/core';
import { Actor, Allow, CurrentActor, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { Role, RolloutStatus } from '@meshfleet/db';
import { registerNodeLoader, toConnection } from '@meshfleet/graphql';
import { distinctUpdates, LiveUpdates, ReadUpdate } from '@meshfleet/redis';
import { RolloutWithTargets } from './rollouts.repository';
import { ROLLOUT_UPDATED, RolloutsService } from './rollouts.service';
import {
  MeshAdoptionRolloutInput,
  RolloutConnection,
  RolloutInput,
  RolloutPlanType,
  RolloutType,
} from './dto/rollout.types';

const toType = (r: RolloutWithTargets): RolloutType => ({
  ...r,
  selector: r.selector as Record<string, unknown>,
  strategy: r.strategy as Record<string, unknown>,
  meshParams: (r.meshParams as Record<string, unknown> | null) ?? null,
});

type Payload = { organizationId: string; rolloutId: string };

@Resolver(() => RolloutType)
export class RolloutsResolver {
  constructor(
    private readonly service: RolloutsService,
    private readonly live: LiveUpdates,
  ) {
    registerNodeLoader('Rollout', async (c, id) => toType(await this.service.get(c.organizationId, id)));
  }

  @Query(() => RolloutPlanType, { description: 'The waves a rollout would run, without running anything' })
  @Allow(Role.VIEWER)
  planRollout(@CurrentActor() actor: Actor, @Args('input') input: RolloutInput): Promise<RolloutPlanType> {
    return this.service.plan(actor, input);
  }

  @Query(() => RolloutPlanType, {
    description: 'The waves a fleet-wide mesh adoption would run, and the clusters it leaves out',
  })
  @Allow(Role.VIEWER)
  planMeshAdoptionRollout(
    @CurrentActor() actor: Actor,
    @Args('input') input: MeshAdoptionRolloutInput,
  ): Promise<RolloutPlanType> {
    return this.service.planMesh(actor, input);
  }

  @Mutation(() => RolloutType, {
    description:
      'Meshes namespaces across clusters: canary, waves, failure budget and health gate (coverage must not drop) as for upgrades; a rollback unmeshes',
  })
  @Allow(Role.EDITOR)
  async startMeshAdoptionRollout(
    @CurrentActor() actor: Actor,
    @Args('input') input: MeshAdoptionRolloutInput,
  ): Promise<RolloutType> {
    return toType(await this.service.startMesh(actor, input));
  }

  @Mutation(() => RolloutType)
  @Allow(Role.EDITOR)
  async startRollout(@CurrentActor() actor: Actor, @Args('input') input: RolloutInput): Promise<RolloutType> {
    return toType(await this.service.start(actor, input));
  }

  @Mutation(() => RolloutType)
  @Allow(Role.EDITOR)
  async pauseRollout(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<RolloutType> {
    return toType(await this.service.pause(actor, id));
  }

  @Mutation(() => RolloutType, { description: 'Continues a paused rollout; failed clusters are retried' })
  @Allow(Role.EDITOR)
  async resumeRollout(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<RolloutType> {
    return toType(await this.service.resume(actor, id));
  }

  @Mutation(() => RolloutType)
  @Allow(Role.EDITOR)
  async approveWave(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
    @Args('wave', { type: () => Int }) wave: number,
  ): Promise<RolloutType> {
    return toType(await this.service.approveWave(actor, id, wave));
  }

  @Mutation(() => RolloutType, { description: 'Stops new upgrades; finished ones are left alone' })
  @Allow(Role.EDITOR)
  async abortRollout(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<RolloutType> {
    return toType(await this.service.abort(actor, id));
  }

  @Query(() => RolloutType)
  @Allow(Role.VIEWER)
  async rollout(
    @CurrentPrincipal() p: Principal,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<RolloutType> {
    return toType(await this.service.get(p.organizationId, id));
  }

  @Query(() => RolloutConnection)
  @Allow(Role.VIEWER)
  async rollouts(
    @CurrentPrincipal() p: Principal,
    @Args('status', { type: () => RolloutStatus, nullable: true }) status: RolloutStatus | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<RolloutConnection> {
    return toConnection(await this.service.list(p.organizationId, status, pageSize(first), after), toType);
  }

  @Subscription(() => RolloutType, {
    description:
      'Every change of one rollout (graphql-ws); an update that shows the rollout as the last one did is not sent again',
    filter(
      this: RolloutsResolver,
      update: ReadUpdate<Payload, RolloutType>,
      _args: unknown,
      ctx: { req?: { user?: Principal } },
    ) {
      return ctx.req?.user?.organizationId === update.payload.organizationId;
    },
    async resolve(this: RolloutsResolver, update: ReadUpdate<Payload, RolloutType>) {
      return update.value ?? this.read(update.payload);
    },
  })
  @Allow(Role.VIEWER)
  rolloutUpdated(
    @Args('id', { type: () => ID }) id: string,
  ): AsyncIterableIterator<ReadUpdate<Payload, RolloutType>> {
    return distinctUpdates(
      this.live.iterator<Payload>(ROLLOUT_UPDATED),
      (p) => p.rolloutId === id,
      (p) => this.read(p),
    );
  }

  private async read(p: Payload): Promise<RolloutType> {
    return toType(await this.service.get(p.organizationId, p.rolloutId));
  }
}
