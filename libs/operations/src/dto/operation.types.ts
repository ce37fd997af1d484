import { NodeInterface } from '@meshfleet/graphql';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { OperationKind, OperationStatus } from '@meshfleet/db';
import { Connection, GraphQLJSONObject } from '@meshfleet/graphql';

/** The kinds the operations API shows (diagnostics are read as agent tasks). */
export const LifecycleOperationKind = {
  INSTALL: OperationKind.INSTALL,
  UPGRADE: OperationKind.UPGRADE,
  UNINSTALL: OperationKind.UNINSTALL,
  ROTATE_ISSUER: OperationKind.ROTATE_ISSUER,
  RESTART_DATA_PLANE: OperationKind.RESTART_DATA_PLANE,
  MESH_NAMESPACES: OperationKind.MESH_NAMESPACES,
  UNMESH_NAMESPACES: OperationKind.UNMESH_NAMESPACES,
  RECONCILE_DRIFT: OperationKind.RECONCILE_DRIFT,
  INSTALL_EXTENSION: OperationKind.INSTALL_EXTENSION,
  UPGRADE_EXTENSION: OperationKind.UPGRADE_EXTENSION,
  UNINSTALL_EXTENSION: OperationKind.UNINSTALL_EXTENSION,
} as const;
registerEnumType(LifecycleOperationKind, { name: 'OperationKind' });

export enum ReleaseSource {
  SIMULATED = 'SIMULATED',
  IMPORTED = 'IMPORTED',
}
registerEnumType(ReleaseSource, {
  name: 'ReleaseSource',
  description:
    'SIMULATED: shipped with Meshfleet for the simulator; IMPORTED: rendered manifests your organization imported',
});
registerEnumType(OperationStatus, {
  name: 'OperationStatus',
  description: 'QUEUED -> DISPATCHED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED | TIMED_OUT',
});

@ObjectType('OperationStep', {
  description: 'A step the agent reported (precheck, crds, control-plane, ...)',
})
export class OperationStepType {
  @Field()
  step!: string;

  @Field({ description: 'started | progress | succeeded | failed | skipped' })
  status!: string;

  @Field()
  message!: string;

  @Field()
  at!: Date;
}

@ObjectType('OperationWarning', {
  description:
    'Something the request was accepted with but should know (viz: default inbound policies blocking scrapes)',
})
export class OperationWarningType {
  @Field({ description: 'ALLOW_SCRAPES_APPLIED | SCRAPES_BLOCKED | EXTERNAL_PROMETHEUS_BLOCKED' })
  code!: string;

  @Field()
  message!: string;

  @Field(() => [String])
  namespaces!: string[];
}

@ObjectType('Operation', { implements: () => [NodeInterface] })
export class OperationType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  clusterId!: string;

  @Field(() => LifecycleOperationKind)
  kind!: OperationKind;

  @Field(() => OperationStatus)
  status!: OperationStatus;

  @Field(() => GraphQLJSONObject, { description: 'What was asked: release, identity, options' })
  params!: Record<string, unknown>;

  @Field(() => [OperationStepType])
  steps!: OperationStepType[];

  @Field(() => [OperationWarningType], { description: 'What the request warned about when it was made' })
  warnings!: OperationWarningType[];

  @Field()
  attempt!: number;

  @Field()
  requestedBy!: string;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: '{ code, message } when it did not succeed',
  })
  error!: Record<string, unknown> | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  dispatchedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  @Field()
  deadlineAt!: Date;

  @Field(() => Date, { nullable: true })
  cancelRequestedAt!: Date | null;
}

@ObjectType()
export class OperationConnection extends Connection(OperationType, 'Operation') {}

@InputType()
export class OperationFilterInput {
  @Field(() => ID, { nullable: true })
  clusterId?: string | null;

  @Field(() => OperationStatus, { nullable: true })
  status?: OperationStatus | null;

  @Field(() => LifecycleOperationKind, { nullable: true })
  kind?: OperationKind | null;
}

@InputType()
export class InstallLinkerdInput {
  @Field({ description: 'A release in the catalog, e.g. enterprise-2.19.1' })
  version!: string;

  @Field(() => Boolean, { nullable: true, description: 'High-availability variant' })
  highAvailability?: boolean | null;

  @Field(() => ID)
  identityDomainId!: string;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Install the Gateway API CRDs Linkerd 2.19+ needs (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute) when the cluster lacks them, as the Linkerd chart does with installGatewayAPI; CRDs already present are left alone',
  })
  gatewayApiCrds?: boolean | null;
}

@InputType()
export class UpgradeLinkerdInput {
  @Field()
  version!: string;

  @Field(() => Boolean, { nullable: true, description: 'Restart meshed workloads so proxies match' })
  restartDataPlane?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Permit going to an older release' })
  allowDowngrade?: boolean | null;
}

@ObjectType('LinkerdReleaseBundle')
export class ReleaseBundleType {
  @Field({ description: 'default | ha' })
  variant!: string;

  @Field()
  crdsDigest!: string;

  @Field()
  controlPlaneDigest!: string;
}

@ObjectType('LinkerdRelease')
export class LinkerdReleaseType {
  @Field()
  version!: string;

  @Field({ description: 'e.g. 2.20' })
  major!: string;

  @Field()
  channel!: string;

  @Field()
  kubernetesMin!: string;

  @Field(() => String, { nullable: true })
  kubernetesMax!: string | null;

  @Field({ description: 'Shipped simulated release (for the simulator and demos), not a real Linkerd build' })
  simulated!: boolean;

  @Field({ description: 'Imported by your organization (false: shipped with Meshfleet)' })
  imported!: boolean;

  @Field(() => ReleaseSource, {
    description: 'Where the manifests come from; installs of this version use them',
  })
  source!: ReleaseSource;

  @Field({
    description:
      'This import hides the simulated release of the same version: installs and upgrades to it use the imported manifests',
  })
  shadowsSimulated!: boolean;

  @Field(() => [ReleaseBundleType])
  bundles!: ReleaseBundleType[];
}

@InputType()
export class ImportLinkerdReleaseInput {
  @Field()
  version!: string;

  @Field({ description: 'default | ha' })
  variant!: string;

  @Field({ description: 'Output of `linkerd install --crds` (or helm template of linkerd-crds)' })
  crdsYaml!: string;

  @Field({ description: 'Output of `linkerd install` (or helm template of linkerd-control-plane)' })
  controlPlaneYaml!: string;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Replace this version and variant when it is already imported with other manifests (audited)',
  })
  replace?: boolean | null;
}

export enum MeshWorkloadKind {
  Deployment = 'Deployment',
  StatefulSet = 'StatefulSet',
  DaemonSet = 'DaemonSet',
}
registerEnumType(MeshWorkloadKind, { name: 'MeshWorkloadKind' });

@InputType()
export class MeshWorkloadInput {
  @Field()
  namespace!: string;

  @Field(() => MeshWorkloadKind)
  kind!: MeshWorkloadKind;

  @Field()
  name!: string;

  @Field(() => [Int], {
    nullable: true,
    description:
      'Set as config.linkerd.io/opaque-ports on its pod template (server-speaks-first ports such as 5432, 3306, 6379)',
  })
  opaquePorts?: number[] | null;
}

@InputType()
export class MeshNamespacesInput {
  @Field(() => ID)
  clusterId!: string;

  @Field(() => [String], {
    description: "1 to 100 application namespaces of the cluster's latest report",
  })
  namespaces!: string[];

  @Field(() => [MeshWorkloadInput], {
    nullable: true,
    description:
      'Only these workloads (annotated on their pod templates); omitted: every workload of the namespaces (annotated on the namespace)',
  })
  workloads?: MeshWorkloadInput[] | null;

  @Field(() => Int, { nullable: true, description: 'Workloads restarted together, 1 to 100 (default 1)' })
  batchSize?: number | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Undo a failed batch (annotation back, restart) before failing (default true)',
  })
  rollbackOnFailure?: boolean | null;

  @Field(() => Int, {
    nullable: true,
    description: 'How long one batch may take to be Ready and meshed, 10 to 3600 s (default 300)',
  })
  batchTimeoutSeconds?: number | null;
}
