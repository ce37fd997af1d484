import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum DriftReason {
  CHANGED = 'CHANGED',
  DELETED = 'DELETED',
  POD_MESH = 'POD_MESH',
}
registerEnumType(DriftReason, {
  name: 'DriftReason',
  description:
    'CHANGED: a field Meshfleet applied has another value; DELETED: an applied object is gone; POD_MESH: pods whose proxy does not match the control plane',
});

@ObjectType('DriftObject', { description: 'The Kubernetes object a drift finding is about' })
export class DriftObjectType {
  @Field()
  kind!: string;

  @Field(() => String, { nullable: true, description: 'Null for cluster-scoped kinds' })
  namespace!: string | null;

  @Field()
  name!: string;
}

@ObjectType('DriftFinding', { description: 'One field that differs from what Meshfleet last applied' })
export class DriftFindingType {
  @Field(() => DriftReason)
  reason!: DriftReason;

  @Field(() => DriftObjectType)
  object!: DriftObjectType;

  @Field({
    description:
      'Readable field path (`spec.replicas`, `spec.template.spec.containers[name=destination].image`); a key inside a ConfigMap YAML value follows a colon (`data.values:controllerLogLevel`); empty for DELETED',
  })
  path!: string;

  @Field(() => String, {
    nullable: true,
    description: 'What Meshfleet applied (a short rendering; Secret values never shown)',
  })
  desired!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'What the cluster holds now; null when the field or object is gone',
  })
  live!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The managedFields manager that owns the live value (`kubectl-edit`, `argocd-controller`, …)',
  })
  manager!: string | null;

  @Field(() => Date, {
    nullable: true,
    description: 'That manager’s last write, else when the agent first saw the drift',
  })
  since!: Date | null;
}

@ObjectType('ClusterDrift', {
  description: 'Drift of the live control plane from the last release Meshfleet applied',
})
export class ClusterDriftType {
  @Field(() => Date)
  checkedAt!: Date;

  @Field(() => String, { nullable: true, description: 'Digest of the applied object set compared with' })
  desiredDigest!: string | null;

  @Field(() => Int)
  objectsChecked!: number;

  @Field(() => Int, { description: 'CHANGED and DELETED findings; `findings` lists at most 200 in all' })
  total!: number;

  @Field(() => Int, {
    description:
      'POD_MESH findings (proxy version or trust root differing, injection changed by hand), listed after the others',
  })
  podMeshTotal!: number;

  @Field(() => [DriftFindingType])
  findings!: DriftFindingType[];
}

@ObjectType('FleetDrift', { description: 'Drift across the filtered clusters (from their last reports)' })
export class FleetDriftType {
  @Field(() => Int, { description: 'Clusters whose last report carried a drift check' })
  clustersChecked!: number;

  @Field(() => Int)
  clustersWithDrift!: number;

  @Field(() => Int, { description: 'Findings summed over the clusters' })
  findings!: number;
}
