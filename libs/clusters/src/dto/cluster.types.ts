import { NodeInterface } from '@meshfleet/graphql';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import {
  CloudProvider,
  ClusterMode,
  ClusterStatus,
  GitopsTool,
  ManagementMode,
  ManagementModeSource,
} from '@meshfleet/db';
import { Connection, GraphQLJSONObject } from '@meshfleet/graphql';

registerEnumType(CloudProvider, { name: 'CloudProvider', description: 'Where the cluster runs' });
registerEnumType(ClusterStatus, {
  name: 'ClusterStatus',
  description: 'PENDING until the agent enrolls; OFFLINE after missed heartbeats; DEREGISTERED when removed',
});

registerEnumType(ClusterMode, {
  name: 'ClusterMode',
  description:
    "What the agent may do: MONITOR reads only (read-only RBAC, lifecycle operations refused); MANAGED also installs, upgrades, uninstalls and rotates Linkerd (RBAC scoped to Linkerd's objects)",
});

registerEnumType(ManagementMode, {
  name: 'ManagementMode',
  description:
    'Who applies Linkerd: MESHFLEET (lifecycle operations) or GITOPS (Argo CD / Flux own it; install, upgrade, uninstall, issuer rotation and mesh adoption are refused with GITOPS_MANAGED)',
});
registerEnumType(GitopsTool, { name: 'GitopsTool' });
registerEnumType(ManagementModeSource, {
  name: 'ManagementModeSource',
  description:
    "USER: set with setClusterManagementMode (detection never overrides it); DETECTED: from the agent's report",
});

@ObjectType('Cluster', { implements: () => [NodeInterface] })
export class ClusterType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'DNS-1123 label, unique in the organization' })
  name!: string;

  @Field(() => CloudProvider, {
    description:
      'As registered; a cluster registered as OTHER takes the cloud its agent detects at enrollment',
  })
  provider!: CloudProvider;

  @Field(() => CloudProvider, {
    nullable: true,
    description:
      "What the agent detected from the nodes' spec.providerID at enrollment (OTHER when they name no cloud)",
  })
  detectedProvider!: CloudProvider | null;

  @Field(() => String, { nullable: true })
  region!: string | null;

  @Field(() => GraphQLJSONObject, { description: 'Kubernetes-style labels, e.g. {"env": "prod"}' })
  labels!: Record<string, string>;

  @Field(() => ClusterStatus)
  status!: ClusterStatus;

  @Field(() => ClusterMode, {
    description: 'Chosen at registration; setClusterMode changes it (re-apply the returned manifest)',
  })
  mode!: ClusterMode;

  @Field(() => ManagementMode)
  managementMode!: ManagementMode;

  @Field(() => GitopsTool, {
    nullable: true,
    description: 'The GitOps tool that owns Linkerd in GITOPS mode',
  })
  gitopsTool!: GitopsTool | null;

  @Field(() => ManagementModeSource, {
    nullable: true,
    description: 'null until the mode is set or detected',
  })
  managementModeSource!: ManagementModeSource | null;

  @Field(() => [String], { description: 'The Argo CD / Flux marks the agent found on Linkerd objects' })
  gitopsEvidence!: string[];

  @Field(() => String, { nullable: true })
  kubernetesVersion!: string | null;

  @Field(() => String, { nullable: true })
  agentVersion!: string | null;

  @Field(() => Int, { nullable: true })
  nodeCount!: number | null;

  @Field(() => Date, { nullable: true })
  lastSeenAt!: Date | null;

  @Field(() => Date, { nullable: true })
  enrolledAt!: Date | null;

  @Field(() => Date, { nullable: true })
  deregisteredAt!: Date | null;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType()
export class ClusterConnection extends Connection(ClusterType, 'Cluster') {}

@ObjectType()
export class BootstrapTokenType {
  @Field({ description: 'One-time enrollment token. Shown only in this response.' })
  token!: string;

  @Field()
  expiresAt!: Date;
}

@ObjectType()
export class RegisterClusterPayload {
  @Field(() => ClusterType)
  cluster!: ClusterType;

  @Field(() => BootstrapTokenType)
  bootstrapToken!: BootstrapTokenType;

  @Field({ description: 'YAML to apply in the cluster: kubectl apply -f -' })
  agentManifest!: string;

  @Field({
    description:
      'The same install with Helm (charts/meshfleet-agent). Holds the bootstrap token: shown only in this response.',
  })
  helmCommand!: string;
}

@InputType()
export class RegisterClusterInput {
  @Field()
  name!: string;

  @Field(() => CloudProvider)
  provider!: CloudProvider;

  @Field(() => String, { nullable: true })
  region?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  labels?: Record<string, unknown> | null;

  @Field(() => ClusterMode, {
    nullable: true,
    description: "The agent's RBAC: MANAGED (default) or MONITOR (read-only, no lifecycle operations)",
  })
  mode?: ClusterMode | null;
}

@InputType()
export class UpdateClusterInput {
  @Field(() => String, { nullable: true, description: 'New region; null clears it' })
  region?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Replaces all labels' })
  labels?: Record<string, unknown> | null;
}

@InputType()
export class ClusterFilter {
  @Field(() => CloudProvider, { nullable: true })
  provider?: CloudProvider | null;

  @Field(() => String, { nullable: true })
  region?: string | null;

  @Field(() => ClusterStatus, { nullable: true })
  status?: ClusterStatus | null;

  @Field(() => String, {
    nullable: true,
    description: 'Kubernetes selector syntax: env=prod,tier!=edge,team in (a,b)',
  })
  labelSelector?: string | null;

  @Field(() => String, { nullable: true, description: 'Substring of the name' })
  search?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Include DEREGISTERED clusters (default false)' })
  includeDeregistered?: boolean | null;
}
