import { Field, Float, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { HealthStatus } from '@meshfleet/db';
import { GraphQLJSONObject } from '@meshfleet/graphql';
import { LinkerdExtensionStatusType } from './extension-status.types';

registerEnumType(HealthStatus, {
  name: 'HealthStatus',
  description:
    'HEALTHY; DEGRADED (warnings); UNHEALTHY (errors); UNKNOWN (no data, stale data, or agent offline); NOT_INSTALLED (connected, no Linkerd control plane: a state, not a failure). `reasons` says why',
});

export enum CheckResultLevel {
  SUCCESS = 'success',
  WARNING = 'warning',
  ERROR = 'error',
}
registerEnumType(CheckResultLevel, { name: 'CheckResult' });

@ObjectType('Check', { description: 'One `linkerd check` result' })
export class CheckType {
  @Field()
  description!: string;

  @Field(() => CheckResultLevel)
  result!: CheckResultLevel;

  @Field(() => String, { nullable: true, description: 'Link to the Linkerd docs for a failed check' })
  hint!: string | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field({ description: 'A fatal failure stopped the rest of its category' })
  fatal!: boolean;

  @Field(() => [String], {
    nullable: true,
    description:
      'On a failed `--proxy` check: the namespaces of the objects its error names (null otherwise, and from older agents)',
  })
  namespaces!: string[] | null;
}

@ObjectType('CheckCategory')
export class CheckCategoryType {
  @Field()
  name!: string;

  @Field(() => [CheckType])
  checks!: CheckType[];
}

@ObjectType('NotRunCheck', {
  description: 'A check a fatal failure kept from running; `linkerd check` stops there too',
})
export class NotRunCheckType {
  @Field()
  category!: string;

  @Field()
  description!: string;
}

@ObjectType('HealthReason', {
  description:
    'Why a cluster has its health status (the rules are in libs/linkerd/src/health/derive-health.ts)',
})
export class HealthReasonType {
  @Field({
    description:
      'NO_REPORT, AGENT_OFFLINE, STALE_REPORT, NO_CHECKS, NOT_INSTALLED, CHECK_FAILED, CHECK_WARNING, PROXY_VERSION_SKEW, CERTIFICATE_EXPIRED, CERTIFICATE_EXPIRING, MTLS_COVERAGE_ZERO, MTLS_COVERAGE_LOW, PLAINTEXT_TRAFFIC',
  })
  code!: string;

  @Field({ description: 'error (makes it UNHEALTHY), warning (DEGRADED) or info (status unchanged)' })
  level!: string;

  @Field()
  message!: string;
}

@ObjectType('ClusterHealth')
export class ClusterHealthType {
  @Field(() => HealthStatus)
  status!: HealthStatus;

  @Field(() => HealthStatus, { description: 'What the last report said, before staleness is applied' })
  reportedStatus!: HealthStatus;

  @Field(() => String, { nullable: true, description: 'Why the status is UNKNOWN, when it is' })
  unknownReason!: string | null;

  @Field(() => [HealthReasonType], {
    description:
      'Why the status is what it is: failed checks, version skew, certificates, coverage (a HEALTHY cluster at 0 % mTLS says so here), or why it is UNKNOWN or NOT_INSTALLED',
  })
  reasons!: HealthReasonType[];

  @Field(() => Date, { nullable: true })
  checkedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  receivedAt!: Date | null;

  @Field(() => Int)
  errorCount!: number;

  @Field(() => Int)
  warningCount!: number;

  @Field(() => [CheckCategoryType], { description: "The checks that ran, in the CLI's order" })
  categories!: CheckCategoryType[];

  @Field(() => [NotRunCheckType], {
    description: 'Checks after a fatal failure, which did not run (never counted as passed)',
  })
  notRun!: NotRunCheckType[];

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description:
      "The last report's results in the shape `linkerd check -o json` prints ({success, categories: [{categoryName, checks: [{description, hint, error, result}]}]}), to diff against the CLI; null before the first report. Not adjusted for staleness: read `status` for that.",
  })
  checkJson!: Record<string, unknown> | null;
}

@ObjectType('VersionCount')
export class VersionCountType {
  @Field()
  version!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType('WorkloadPod', { description: 'A running pod of a workload, as the last report listed it' })
export class WorkloadPodType {
  @Field()
  name!: string;

  @Field({ description: 'Every container (and native sidecar) is ready' })
  ready!: boolean;

  @Field(() => String, { nullable: true, description: "The Linkerd proxy's version; null when not meshed" })
  proxyVersion!: string | null;
}

@ObjectType('WorkloadMtls')
export class WorkloadMtlsType {
  @Field()
  kind!: string;

  @Field()
  name!: string;

  @Field()
  injection!: string;

  @Field(() => Int)
  totalPods!: number;

  @Field(() => Int)
  meshedPods!: number;

  @Field(() => [VersionCountType])
  proxyVersions!: VersionCountType[];

  @Field(() => [WorkloadPodType], {
    description:
      'Running pods by name (at most 20 per workload and 1,000 per cluster; empty for reports of older agents)',
  })
  pods!: WorkloadPodType[];

  @Field({ description: 'Fewer pods are listed than the workload runs' })
  podsTruncated!: boolean;
}

@ObjectType('ClusterWorkload', {
  description:
    'A workload of a cluster (running pods outside infrastructure namespaces), from the last report',
})
export class ClusterWorkloadType extends WorkloadMtlsType {
  @Field()
  namespace!: string;

  @Field({ description: 'Every running pod of the workload has a Linkerd proxy' })
  meshed!: boolean;
}

@ObjectType('NamespaceMtls')
export class NamespaceMtlsType {
  @Field()
  name!: string;

  @Field({ description: 'enabled | disabled | ingress | unset' })
  injection!: string;

  @Field(() => Int)
  totalPods!: number;

  @Field(() => Int)
  meshedPods!: number;

  @Field(() => Float, { nullable: true })
  podCoverage!: number | null;

  @Field(() => [VersionCountType])
  proxyVersions!: VersionCountType[];

  @Field(() => Int, { description: 'Meshed pods whose trust bundle is not the current one (restart them)' })
  staleTrustBundlePods!: number;

  @Field(() => [WorkloadMtlsType])
  workloads!: WorkloadMtlsType[];
}

@ObjectType('MtlsStatus')
export class MtlsStatusType {
  @Field(() => Float, { nullable: true, description: 'meshed / running pods; null without pods' })
  podCoverage!: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'The headline traffic coverage: the lower of requestCoverage and connectionCoverage, counting only ' +
      'those that saw traffic, so plaintext TCP is not hidden behind encrypted HTTP (or the reverse); ' +
      'null when neither did',
  })
  trafficCoverage!: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'Share of inbound HTTP/gRPC requests over mTLS, from proxy metrics (kubelet probes and the ' +
      "proxy's admin port left out); null when no requests were seen",
  })
  requestCoverage!: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'Share of inbound TCP connections over mTLS, from proxy metrics (kubelet probe connections and ' +
      "the proxy's admin port left out); null when no connections were seen",
  })
  connectionCoverage!: number | null;

  @Field(() => Int)
  meshedPods!: number;

  @Field(() => Int)
  totalPods!: number;

  @Field({ description: 'Only a sample of pods was scraped for traffic metrics' })
  sampled!: boolean;

  @Field(() => Int)
  podsScraped!: number;

  @Field(() => [NamespaceMtlsType])
  namespaces!: NamespaceMtlsType[];
}

@ObjectType('Certificate', { description: 'Public facts of a certificate; keys never leave the cluster' })
export class CertificateType {
  @Field({ description: 'trust-anchor | issuer | webhook' })
  role!: string;

  @Field()
  name!: string;

  @Field()
  subject!: string;

  @Field()
  issuer!: string;

  @Field()
  serialNumber!: string;

  @Field()
  notBefore!: Date;

  @Field()
  notAfter!: Date;

  @Field(() => Float)
  expiresInDays!: number;

  @Field()
  keyAlgorithm!: string;

  @Field()
  sha256Fingerprint!: string;

  @Field(() => Boolean, { nullable: true, description: 'Issuer: signed by a current trust anchor' })
  chainsToAnchors!: boolean | null;

  @Field({ description: 'Where it was read: Kind/namespace/name#key' })
  source!: string;
}

@ObjectType('LinkerdStatus')
export class LinkerdStatusType {
  @Field()
  installed!: boolean;

  @Field(() => String, { nullable: true })
  version!: string | null;

  @Field(() => String, { nullable: true })
  channel!: string | null;

  @Field(() => Boolean, { nullable: true })
  ha!: boolean | null;

  @Field(() => [VersionCountType])
  proxyVersions!: VersionCountType[];

  @Field({ description: 'none | within-support | unsupported | unknown' })
  skew!: string;

  @Field(() => [LinkerdExtensionStatusType], {
    description: 'Extensions found in the cluster (viz, multicluster, jaeger, …)',
  })
  extensions!: LinkerdExtensionStatusType[];
}

@ObjectType('AgentStatus')
export class AgentStatusType {
  @Field(() => String, { nullable: true })
  version!: string | null;

  @Field()
  connected!: boolean;

  @Field(() => Date, { nullable: true })
  lastSeenAt!: Date | null;

  @Field(() => Date, { nullable: true })
  enrolledAt!: Date | null;
}

@ObjectType('NamespaceCoverageSample', { description: "One namespace's pod coverage in a health sample" })
export class NamespaceCoverageSampleType {
  @Field()
  name!: string;

  @Field(() => Int)
  meshedPods!: number;

  @Field(() => Int)
  totalPods!: number;

  @Field(() => Float, { nullable: true, description: 'meshedPods / totalPods; null without pods' })
  podCoverage!: number | null;
}

@ObjectType('HealthSample')
export class HealthSampleType {
  @Field()
  at!: Date;

  @Field(() => HealthStatus)
  status!: HealthStatus;

  @Field(() => Float, { nullable: true })
  podCoverage!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'The lower of requestCoverage and connectionCoverage (those with traffic)',
  })
  trafficCoverage!: number | null;

  @Field(() => Float, { nullable: true, description: 'Inbound requests over mTLS; null when none' })
  requestCoverage!: number | null;

  @Field(() => Float, { nullable: true, description: 'Inbound connections over mTLS; null when none' })
  connectionCoverage!: number | null;

  @Field(() => Int)
  meshedPods!: number;

  @Field(() => Int)
  totalPods!: number;

  @Field(() => Int)
  errorCount!: number;

  @Field(() => Int)
  warningCount!: number;

  @Field(() => [NamespaceCoverageSampleType], {
    nullable: true,
    description:
      'Pod coverage of each namespace the report carried (running pods outside infrastructure namespaces), by name; null on samples recorded before per-namespace coverage was kept',
  })
  namespaces!: NamespaceCoverageSampleType[] | null;

  @Field(() => NamespaceCoverageSampleType, {
    nullable: true,
    description:
      'The namespace asked for with `healthHistory(namespace:)`; null when none was asked for or this sample did not report it (no running pods then, or an older sample)',
  })
  namespace!: NamespaceCoverageSampleType | null;

  @Field(() => Float, {
    nullable: true,
    description: 'All proxies’ memory in bytes; null without resource figures',
  })
  proxyMemoryBytes!: number | null;

  @Field(() => Float, { nullable: true, description: 'The largest proxy’s memory in bytes' })
  proxyMemoryMaxBytes!: number | null;

  @Field(() => Float, { nullable: true, description: 'All proxies’ CPU in cores' })
  proxyCpuCores!: number | null;

  @Field(() => Float, { nullable: true, description: 'Control-plane containers’ memory in bytes' })
  controlPlaneMemoryBytes!: number | null;
}
