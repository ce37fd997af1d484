import { Field, ID, InputType, ObjectType, registerEnumType } from '@nestjs/graphql';
import { CloudProvider } from '@meshfleet/db';

export enum GitopsFormatEnum {
  ARGOCD = 'ARGOCD',
  ARGOCD_APPLICATIONSET = 'ARGOCD_APPLICATIONSET',
  FLUX = 'FLUX',
}
registerEnumType(GitopsFormatEnum, {
  name: 'GitopsFormat',
  description:
    'ARGOCD: an Application per chart and cluster (sync waves); ARGOCD_APPLICATIONSET: one ApplicationSet over the clusters (RollingSync steps); FLUX: HelmRepository and HelmReleases per cluster (dependsOn, driftDetection)',
});

@InputType()
export class GitopsSelectorInput {
  @Field(() => CloudProvider, { nullable: true }) provider?: CloudProvider | null;
  @Field(() => String, { nullable: true }) region?: string | null;
  @Field(() => String, { nullable: true, description: 'Kubernetes label selector syntax' }) labelSelector?:
    string | null;
  @Field(() => [ID], { nullable: true, description: 'Only these clusters' }) clusterIds?: string[] | null;
}

@ObjectType()
export class GitopsFile {
  @Field({ description: 'Relative path in the Git tree' }) path!: string;
  @Field() content!: string;
}

@ObjectType()
export class GitopsExportedCluster {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field({ description: 'The Linkerd release exported (from the latest report)' }) version!: string;
}

@ObjectType()
export class GitopsSkippedCluster {
  @Field(() => ID) clusterId!: string;
  @Field() clusterName!: string;
  @Field() code!: string;
  @Field() reason!: string;
}

@ObjectType()
export class GitopsExport {
  @Field(() => GitopsFormatEnum) format!: GitopsFormatEnum;
  @Field(() => [GitopsFile]) files!: GitopsFile[];
  @Field(() => [String], {
    description: 'What to check before committing (unverified chart versions, missing bundles)',
  })
  warnings!: string[];
  @Field(() => [GitopsExportedCluster]) clusters!: GitopsExportedCluster[];
  @Field(() => [GitopsSkippedCluster]) skipped!: GitopsSkippedCluster[];
}
