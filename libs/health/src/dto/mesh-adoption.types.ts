import { Field, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ClusterFilter } from '@meshfleet/clusters';

export enum AdoptionWorkloadKindEnum {
  Deployment = 'Deployment',
  StatefulSet = 'StatefulSet',
  DaemonSet = 'DaemonSet',
  Job = 'Job',
  CronJob = 'CronJob',
}
registerEnumType(AdoptionWorkloadKindEnum, { name: 'AdoptionWorkloadKind' });

export enum AdoptionVerdictEnum {
  WILL_MESH = 'WILL_MESH',
  ALREADY_MESHED = 'ALREADY_MESHED',
  OPTED_OUT = 'OPTED_OUT',
  WILL_NOT_MESH = 'WILL_NOT_MESH',
  BLOCKED = 'BLOCKED',
}
registerEnumType(AdoptionVerdictEnum, {
  name: 'AdoptionVerdict',
  description:
    'WILL_MESH once annotated and restarted; ALREADY_MESHED; OPTED_OUT (linkerd.io/inject: disabled on the workload); ' +
    'WILL_NOT_MESH (the injector would skip it: hostNetwork, no token); BLOCKED by a cluster-level blocker',
});

export enum AdoptionSeverityEnum {
  BLOCKER = 'BLOCKER',
  WARNING = 'WARNING',
  INFO = 'INFO',
}
registerEnumType(AdoptionSeverityEnum, { name: 'AdoptionSeverity' });

@InputType()
export class AdoptionWorkloadRefInput {
  @Field() namespace!: string;
  @Field(() => AdoptionWorkloadKindEnum) kind!: AdoptionWorkloadKindEnum;
  @Field() name!: string;
}

@InputType()
export class PlanMeshAdoptionInput {
  @Field(() => ID, { nullable: true, description: 'One cluster; or a selector' }) clusterId?: string | null;
  @Field(() => ClusterFilter, { nullable: true, description: 'The clusters of a fleet filter' })
  selector?: ClusterFilter | null;
  @Field(() => [String], { nullable: true, description: 'Every workload of these namespaces' })
  namespaces?: string[] | null;
  @Field(() => [AdoptionWorkloadRefInput], { nullable: true, description: 'And/or these workloads' })
  workloads?: AdoptionWorkloadRefInput[] | null;
  @Field(() => Int, {
    nullable: true,
    description: 'Workloads restarted per batch (default grows with the count, 1..5)',
  })
  batchSize?: number | null;
}

@ObjectType('AdoptionReason')
export class AdoptionReasonType {
  @Field({
    description: 'HOST_NETWORK, OPTED_OUT, SERVER_SPEAKS_FIRST_PORT, SINGLE_REPLICA_NO_PDB, ... (README)',
  })
  code!: string;
  @Field(() => AdoptionSeverityEnum) severity!: AdoptionSeverityEnum;
  @Field() message!: string;
  @Field(() => Int, { nullable: true }) port!: number | null;
  @Field(() => String, { nullable: true, description: 'UDP, or the server-speaks-first protocol' })
  protocol!: string | null;
}

@ObjectType('ProposedAnnotation')
export class ProposedAnnotationType {
  @Field() key!: string;
  @Field() value!: string;
}

@ObjectType('AdoptionWorkloadRef')
export class AdoptionWorkloadRefType {
  @Field() namespace!: string;
  @Field(() => AdoptionWorkloadKindEnum) kind!: AdoptionWorkloadKindEnum;
  @Field() name!: string;
}

@ObjectType('WorkloadAdoption')
export class WorkloadAdoptionType extends AdoptionWorkloadRefType {
  @Field(() => AdoptionVerdictEnum) verdict!: AdoptionVerdictEnum;
  @Field(() => [AdoptionReasonType]) reasons!: AdoptionReasonType[];
  @Field(() => [ProposedAnnotationType], {
    description: 'Pod-template annotations to set with linkerd.io/inject: enabled',
  })
  proposedAnnotations!: ProposedAnnotationType[];
  @Field(() => Int, { nullable: true }) replicas!: number | null;
  @Field(() => Int, {
    nullable: true,
    description: 'Restart batch (1-based); null when nothing is restarted',
  })
  batch!: number | null;
}

@ObjectType('AdoptionBatch')
export class AdoptionBatchType {
  @Field(() => Int) index!: number;
  @Field(() => [AdoptionWorkloadRefType]) workloads!: AdoptionWorkloadRefType[];
}

@ObjectType('ClusterAdoptionPlan', {
  description: 'What meshing would do on one cluster, from its last report; nothing is written',
})
export class ClusterAdoptionPlanType {
  @Field(() => ID) clusterId!: string;
  @Field() clusterName!: string;
  @Field({
    description: 'When the agent built the report the plan is made from: the plan is only as fresh as it',
  })
  generatedAt!: Date;
  @Field(() => [AdoptionReasonType], { description: 'Cluster-level: a BLOCKER stops every restart' })
  blockers!: AdoptionReasonType[];
  @Field(() => [AdoptionReasonType], {
    description: 'Cluster-level warnings (e.g. the report lists only part of the workloads)',
  })
  warnings!: AdoptionReasonType[];
  @Field(() => [WorkloadAdoptionType]) workloads!: WorkloadAdoptionType[];
  @Field(() => [AdoptionBatchType]) batches!: AdoptionBatchType[];
  @Field(() => Int) batchSize!: number;
  @Field({ description: 'Why the batches come in this order' }) order!: string;
}
