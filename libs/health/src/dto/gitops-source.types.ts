import { Field, Int, ObjectType } from '@nestjs/graphql';
import { GitopsTool } from '@meshfleet/db';

@ObjectType('GitopsReadyCondition', { description: "A Flux HelmRelease's Ready condition" })
export class GitopsReadyConditionType {
  @Field({ description: 'True, False or Unknown' })
  status!: string;

  @Field(() => String, { nullable: true, description: 'e.g. InstallSucceeded, UpgradeFailed, DriftDetected' })
  reason!: string | null;

  @Field(() => String, { nullable: true, description: 'At most 512 characters' })
  message!: string | null;

  @Field(() => Date, { nullable: true })
  lastTransitionTime!: Date | null;
}

@ObjectType('GitopsSource', {
  description:
    "The Argo CD Application or Flux HelmRelease that owns the cluster's Linkerd control plane, as the agent read it from the cluster",
})
export class GitopsSourceType {
  @Field(() => GitopsTool)
  tool!: GitopsTool;

  @Field({ description: 'Application (argoproj.io/v1alpha1) or HelmRelease (helm.toolkit.fluxcd.io/v2)' })
  kind!: string;

  @Field()
  namespace!: string;

  @Field()
  name!: string;

  @Field(() => Date, { description: 'When the agent read it (the report it came with)' })
  readAt!: Date;

  @Field({ description: 'False when the agent could not read it; `error` says why' })
  readable!: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      '"source not readable: <reason>": its CRD is not installed, it does not exist, or the agent\'s RBAC forbids it',
  })
  error!: string | null;

  @Field(() => String, { nullable: true, description: 'Argo CD: Synced, OutOfSync or Unknown' })
  syncStatus!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Argo CD: Healthy, Progressing, Degraded, Suspended, Missing or Unknown',
  })
  healthStatus!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Argo CD: the revision compared with (status.sync.revision); Flux: status.lastAttemptedRevision',
  })
  revision!: string | null;

  @Field(() => String, { nullable: true, description: "Argo CD: the last sync operation's phase" })
  operationPhase!: string | null;

  @Field(() => Date, { nullable: true, description: 'Argo CD: when it last compared the cluster with Git' })
  reconciledAt!: Date | null;

  @Field(() => GitopsReadyConditionType, { nullable: true, description: 'Flux: the Ready condition' })
  ready!: GitopsReadyConditionType | null;

  @Field(() => Int, { nullable: true, description: 'Flux: status.observedGeneration' })
  observedGeneration!: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "Flux: the HelmRelease's metadata.generation (ahead of observedGeneration: not reconciled yet)",
  })
  generation!: number | null;
}
