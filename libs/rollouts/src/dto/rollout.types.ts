import { NodeInterface } from '@meshfleet/graphql';
import { Field, ID, InputType, Int, Float, ObjectType, registerEnumType } from '@nestjs/graphql';
import { RolloutAction, RolloutStatus, RolloutTargetStatus, CloudProvider } from '@meshfleet/db';
import { Connection, GraphQLJSONObject } from '@meshfleet/graphql';

registerEnumType(RolloutStatus, { name: 'RolloutStatus' });
registerEnumType(RolloutTargetStatus, { name: 'RolloutTargetStatus' });
registerEnumType(RolloutAction, {
  name: 'RolloutAction',
  description: 'UPGRADE: Linkerd to targetVersion; MESH_NAMESPACES: a MESH_NAMESPACES operation per cluster',
});

@InputType()
export class RolloutSelectorInput {
  @Field(() => CloudProvider, { nullable: true }) provider?: CloudProvider | null;
  @Field(() => String, { nullable: true }) region?: string | null;
  @Field(() => String, { nullable: true, description: 'Kubernetes label selector syntax' }) labelSelector?:
    string | null;
  @Field(() => [ID], { nullable: true, description: 'Only these clusters' }) clusterIds?: string[] | null;
}

@InputType()
export class RolloutStrategyInput {
  @Field(() => Int, { nullable: true, description: 'Canary clusters (default 1)' }) canaryCount?:
    number | null;
  @Field(() => [ID], { nullable: true }) canaryClusterIds?: string[] | null;
  @Field(() => [Int], {
    nullable: true,
    description: 'Wave sizes after the canary; the rest forms a last wave',
  })
  waveSizes?: number[] | null;
  @Field(() => [Int], {
    nullable: true,
    description: 'Or wave sizes as percentages of the clusters after the canary',
  })
  wavePercentages?: number[] | null;
  @Field(() => Int, { nullable: true, description: 'Clusters upgrading at once inside a wave (default 1)' })
  maxUnavailable?: number | null;
  @Field(() => Int, { nullable: true, description: 'Failure budget in clusters (default 0)' }) maxFailures?:
    number | null;
  @Field(() => Int, { nullable: true, description: 'Or the failure budget as a percentage' })
  maxFailurePercentage?: number | null;
  @Field(() => Int, {
    nullable: true,
    description: 'How long a cluster must stay healthy after its upgrade (default 60)',
  })
  healthGateSeconds?: number | null;
  @Field(() => Boolean, { nullable: true, description: 'Warnings pass the gate (default true)' })
  allowWarnings?: boolean | null;
  @Field(() => Float, {
    nullable: true,
    description: 'Largest allowed drop in pod mTLS coverage, 0..1 (default 0.05)',
  })
  maxCoverageDrop?: number | null;
  @Field(() => Boolean, { nullable: true, description: 'Each wave after the canary waits for approveWave' })
  requireApproval?: boolean | null;
  @Field(() => Int, { nullable: true }) delayBetweenWavesSeconds?: number | null;
  @Field(() => String, { nullable: true, description: 'SKIP (default) or WAIT for offline clusters' })
  offlineClusters?: 'SKIP' | 'WAIT' | null;
  @Field(() => Int, { nullable: true }) offlineWaitSeconds?: number | null;
  @Field(() => Boolean, {
    nullable: true,
    description: 'Roll the failed wave back when the budget is exhausted',
  })
  autoRollback?: boolean | null;
  @Field(() => Boolean, { nullable: true }) restartDataPlane?: boolean | null;
}

@InputType()
export class RolloutInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field() targetVersion!: string;
  @Field(() => RolloutSelectorInput, { nullable: true }) selector?: RolloutSelectorInput | null;
  @Field(() => RolloutStrategyInput, { nullable: true }) strategy?: RolloutStrategyInput | null;
}

@InputType()
export class MeshAdoptionRolloutInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => [String], { description: 'Namespaces to mesh on every cluster of the selection' })
  namespaces!: string[];
  @Field(() => Int, { nullable: true, description: 'Workloads restarted together per cluster (default 1)' })
  batchSize?: number | null;
  @Field(() => Boolean, { nullable: true, description: "Undo a cluster's failed batch (default true)" })
  rollbackOnFailure?: boolean | null;
  @Field(() => Int, {
    nullable: true,
    description: 'How long one batch may take to be Ready and meshed, 10 to 3600 s (default 300)',
  })
  batchTimeoutSeconds?: number | null;
  @Field(() => RolloutSelectorInput, { nullable: true }) selector?: RolloutSelectorInput | null;
  @Field(() => RolloutStrategyInput, {
    nullable: true,
    description: 'As for upgrades; the health gate also fails on any drop in pod coverage',
  })
  strategy?: RolloutStrategyInput | null;
}

@ObjectType('PlannedCluster')
export class PlannedClusterType {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) fromVersion!: string | null;
}

@ObjectType('PlannedWave')
export class PlannedWaveType {
  @Field(() => Int) index!: number;
  @Field() name!: string;
  @Field(() => [PlannedClusterType]) clusters!: PlannedClusterType[];
}

@ObjectType('ExcludedCluster')
export class ExcludedClusterType {
  @Field(() => ID) clusterId!: string;
  @Field() clusterName!: string;
  @Field() code!: string;
  @Field() reason!: string;
}

@ObjectType('RolloutPlan')
export class RolloutPlanType {
  @Field({ description: 'The release of an upgrade plan; empty for a mesh adoption plan' })
  targetVersion!: string;
  @Field(() => [PlannedWaveType]) waves!: PlannedWaveType[];
  @Field(() => [ExcludedClusterType], { description: 'Clusters left out, with the reason' })
  excluded!: ExcludedClusterType[];
}

@ObjectType('RolloutTarget')
export class RolloutTargetType {
  @Field(() => ID) clusterId!: string;
  @Field() clusterName!: string;
  @Field(() => Int) wave!: number;
  @Field(() => RolloutTargetStatus) status!: RolloutTargetStatus;
  @Field(() => String, { nullable: true }) fromVersion!: string | null;
  @Field(() => ID, { nullable: true, description: 'The upgrade operation behind it' }) operationId!:
    string | null;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => Float, {
    nullable: true,
    description: 'Pod mTLS coverage when its upgrade started; the health gate limits the drop from it',
  })
  baselinePodCoverage!: number | null;
  @Field() updatedAt!: Date;
}

@ObjectType('Rollout', { implements: () => [NodeInterface] })
export class RolloutType {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => RolloutAction) action!: RolloutAction;
  @Field({ description: 'UPGRADE: the release; empty for MESH_NAMESPACES' }) targetVersion!: string;
  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'MESH_NAMESPACES: { namespaces, batchSize, rollbackOnFailure }',
  })
  meshParams!: Record<string, unknown> | null;
  @Field(() => RolloutStatus) status!: RolloutStatus;
  @Field(() => Int) currentWave!: number;
  @Field(() => String, { nullable: true }) pausedReason!: string | null;
  @Field(() => GraphQLJSONObject) selector!: Record<string, unknown>;
  @Field(() => GraphQLJSONObject) strategy!: Record<string, unknown>;
  @Field() createdBy!: string;
  @Field() createdAt!: Date;
  @Field(() => Date, { nullable: true }) startedAt!: Date | null;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;
  @Field(() => [RolloutTargetType]) targets!: RolloutTargetType[];
}

@ObjectType()
export class RolloutConnection extends Connection(RolloutType, 'Rollout') {}
